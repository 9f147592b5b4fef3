// A fragmented, compressed Realtime `response.done` is read on the copy, and its usage extracted.
import t from 'tap';
import { OPCODE } from '../../src/websocket/frames';
import { usageOfEvent } from '../../src/websocket/usage';
import { compressMessages, DEFLATE, frame, readServerFrames } from './frames-helper';

const done = JSON.stringify({
  type: 'response.done',
  event_id: 'event_1',
  response: {
    object: 'realtime.response',
    id: 'resp_1',
    status: 'completed',
    output: [{ type: 'message', content: [{ type: 'output_text', text: 'x'.repeat(5000) }] }],
    usage: {
      total_tokens: 253,
      input_tokens: 132,
      output_tokens: 121,
      input_token_details: { text_tokens: 119, audio_tokens: 13, cached_tokens: 64 },
      output_token_details: { text_tokens: 30, audio_tokens: 91 },
    },
  },
});

t.test('fragmented in three frames with a ping between, split anywhere in the header region', async (t) => {
  const [compressed] = await compressMessages([done], true);
  const third = Math.floor(compressed!.length / 3);
  const bytes = Buffer.concat([
    frame({ opcode: OPCODE.text, payload: compressed!.subarray(0, third), rsv1: true, fin: false }),
    frame({ opcode: OPCODE.continuation, payload: compressed!.subarray(third, 2 * third), fin: false }),
    frame({ opcode: OPCODE.ping, payload: 'keepalive' }),
    frame({ opcode: OPCODE.continuation, payload: compressed!.subarray(2 * third) }),
  ]);
  for (const cuts of [[], [1], [third], [third + 3, third + 5], [bytes.length - 1]]) {
    const { texts, unread } = await readServerFrames(bytes, cuts, DEFLATE);
    t.same(unread, [], `cuts ${cuts}: nothing unread`);
    t.equal(texts.length, 1);
    t.same(usageOfEvent(texts[0]!), { type: 'response.done', usage: { input: 132, output: 121, cachedInput: 64, reasoning: 0 }, model: undefined });
  }
});
