// A text message over 1 MiB (2 MiB here) is not read, and says so; the reader goes on with the next message,
// compressed or not, and with context takeover the inflater keeps its window through the large one.
import t from 'tap';
import { OPCODE } from '../../src/websocket/frames';
import { MAX_READ_MESSAGE } from '../../src/websocket/messages';
import { compressMessages, DEFLATE, frame, readServerFrames } from './frames-helper';

const big = `{"type":"response.output_audio.delta","delta":"${'A'.repeat(2 * 1024 * 1024)}"}`;

t.test('uncompressed, in one frame and in fragments', async (t) => {
  const half = big.length / 2;
  const bytes = Buffer.concat([
    frame({ opcode: OPCODE.text, payload: big }),
    frame({ opcode: OPCODE.text, payload: big.slice(0, half), fin: false }),
    frame({ opcode: OPCODE.continuation, payload: big.slice(half) }),
    frame({ opcode: OPCODE.text, payload: 'after' }),
  ]);
  const { texts, unread, reader } = await readServerFrames(bytes, [1000, 1_500_000, 3_000_000]);
  t.same(texts, ['after']);
  t.same(unread, [
    ['message_too_large', false],
    ['message_too_large', false],
  ]);
  t.equal(reader.unreadMessages, 2);
  t.equal(reader.stopped, undefined, 'reading goes on');
});

t.test('compressed, with context takeover', async (t) => {
  const [large, next] = await compressMessages([big, '{"type":"after","text":"AAAAAAAA"}'], true);
  t.ok(large!.length < MAX_READ_MESSAGE, 'small on the wire, over the bound inflated');
  const bytes = Buffer.concat([frame({ opcode: OPCODE.text, payload: large!, rsv1: true }), frame({ opcode: OPCODE.text, payload: next!, rsv1: true })]);
  const { texts, unread } = await readServerFrames(bytes, [100], DEFLATE);
  t.same(texts, ['{"type":"after","text":"AAAAAAAA"}']);
  t.same(unread, [['message_too_large', false]]);
});

t.test('exactly 1 MiB is still read', async (t) => {
  const text = 'B'.repeat(MAX_READ_MESSAGE);
  const { texts, unread } = await readServerFrames(frame({ opcode: OPCODE.text, payload: text }), [5]);
  t.equal(texts[0]?.length, MAX_READ_MESSAGE);
  t.same(unread, []);
});
