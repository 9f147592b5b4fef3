// The reader puts fragmented messages back together, with control frames between the fragments, and hands on
// text messages only (binary ones are relayed and counted, not read), however the stream is cut.
import t from 'tap';
import { OPCODE } from '../../src/websocket/frames';
import { frame, readServerFrames } from './frames-helper';

const bytes = Buffer.concat([
  frame({ opcode: OPCODE.text, payload: '{"type":"a",', fin: false }),
  frame({ opcode: OPCODE.ping, payload: 'p1' }),
  frame({ opcode: OPCODE.continuation, payload: '"part":"é', fin: false }),
  frame({ opcode: OPCODE.pong, payload: '' }),
  frame({ opcode: OPCODE.continuation, payload: 'tè"}' }),
  frame({ opcode: OPCODE.binary, payload: Buffer.from([0, 1, 2]), fin: false }),
  frame({ opcode: OPCODE.ping, payload: 'p2' }),
  frame({ opcode: OPCODE.continuation, payload: Buffer.from([3]) }),
  frame({ opcode: OPCODE.text, payload: 'single' }),
]);

t.test('fragments and control frames in between, cut anywhere', async (t) => {
  const failures: string[] = [];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { texts, unread } = await readServerFrames(bytes, [cut]);
    if (JSON.stringify(texts) !== JSON.stringify(['{"type":"a","part":"étè"}', 'single']) || unread.length > 0) failures.push(`cut at ${cut}: ${texts}`);
  }
  t.same(failures, []);
});

t.test('every byte in a chunk of its own', async (t) => {
  const cuts = Array.from({ length: bytes.length }, (_, i) => i);
  const { texts, unread } = await readServerFrames(bytes, cuts);
  t.same(texts, ['{"type":"a","part":"étè"}', 'single']);
  t.same(unread, []);
});
