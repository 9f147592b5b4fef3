// permessage-deflate messages (RSV1 on the first frame) are inflated on the copy, with the context carried from
// one message to the next unless the server takes none over, however the stream is cut; uncompressed messages
// in between keep their place.
import t from 'tap';
import { OPCODE } from '../../src/websocket/frames';
import { compressMessages, DEFLATE, frame, readServerFrames } from './frames-helper';

const texts = [
  '{"type":"response.output_text.delta","delta":"hello hello hello"}',
  '{"type":"response.output_text.delta","delta":"hello hello hello again"}',
  '{"type":"response.output_text.delta","delta":"hello hello hello and again"}',
];

async function stream(contextTakeover: boolean): Promise<Buffer> {
  const [a, b, c] = await compressMessages(texts, contextTakeover);
  return Buffer.concat([
    frame({ opcode: OPCODE.text, payload: a!, rsv1: true }),
    frame({ opcode: OPCODE.text, payload: 'plain' }),
    frame({ opcode: OPCODE.text, payload: b!.subarray(0, 5), rsv1: true, fin: false }),
    frame({ opcode: OPCODE.ping, payload: '' }),
    frame({ opcode: OPCODE.continuation, payload: b!.subarray(5) }),
    frame({ opcode: OPCODE.text, payload: c!, rsv1: true }),
  ]);
}

for (const contextTakeover of [true, false]) {
  t.test(`context takeover ${contextTakeover ? 'on' : 'off'}`, async (t) => {
    const bytes = await stream(contextTakeover);
    const deflate = { ...DEFLATE, serverNoContextTakeover: !contextTakeover };
    const expected = [texts[0], 'plain', texts[1], texts[2]];
    const failures: string[] = [];
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { texts: got, unread } = await readServerFrames(bytes, [cut], deflate);
      if (JSON.stringify(got) !== JSON.stringify(expected) || unread.length > 0) failures.push(`cut at ${cut}: ${JSON.stringify(got)} ${unread}`);
    }
    t.same(failures, []);
    const cuts = Array.from({ length: bytes.length }, (_, i) => i);
    t.same((await readServerFrames(bytes, cuts, deflate)).texts, expected, 'a byte at a time');
  });
}

t.test('context takeover is really used: the later messages do not inflate on their own', async (t) => {
  const [, b] = await compressMessages(texts, true);
  const [, alone] = await compressMessages(texts, false);
  t.ok(b!.length < alone!.length, 'the second message refers back to the first');
});
