// Anything the reader cannot make sense of ends the reading for the session, reported once with its reason;
// no later message is read, and nothing throws.
import t from 'tap';
import { OPCODE } from '../../src/websocket/frames';
import { compressMessages, DEFLATE, frame, readServerFrames } from './frames-helper';

const before = frame({ opcode: OPCODE.text, payload: 'before' });
const after = frame({ opcode: OPCODE.text, payload: 'after' });

const cases: Array<[string, Buffer, string]> = [
  ['a reserved opcode', frame({ opcode: 0x3, payload: 'x' }), 'bad_opcode'],
  ['a reserved control opcode', frame({ opcode: 0xb, payload: '' }), 'bad_opcode'],
  ['a continuation with nothing to continue', frame({ opcode: OPCODE.continuation, payload: 'x' }), 'orphan_continuation'],
  [
    'a new message inside a fragmented one',
    Buffer.concat([frame({ opcode: OPCODE.text, payload: 'a', fin: false }), frame({ opcode: OPCODE.text, payload: 'b' })]),
    'unfinished_message',
  ],
  ['a fragmented ping', frame({ opcode: OPCODE.ping, payload: 'x', fin: false }), 'bad_control_frame'],
  ['a ping over 125 bytes', frame({ opcode: OPCODE.ping, payload: 'x'.repeat(126) }), 'bad_control_frame'],
  ['a masked server frame', frame({ opcode: OPCODE.text, payload: 'x', mask: Buffer.from([1, 2, 3, 4]) }), 'masked_frame'],
  ['RSV1 without permessage-deflate', frame({ opcode: OPCODE.text, payload: 'x', rsv1: true }), 'unexpected_rsv1'],
  ['RSV2', Buffer.from([0xa1, 0x01, 0x78]), 'reserved_bits'],
  ['a length with the top bit set', Buffer.from([0x81, 127, 0xff, 0, 0, 0, 0, 0, 0, 1]), 'bad_length'],
];

for (const [name, bad, reason] of cases) {
  t.test(name, async (t) => {
    const { texts, unread, reader } = await readServerFrames(Buffer.concat([before, bad, after, after]), [3]);
    t.same(texts, ['before']);
    t.same(unread, [[reason, true]]);
    t.equal(reader.stopped, reason);
  });
}

t.test('bad deflate data', async (t) => {
  const [good] = await compressMessages(['{"type":"fine"}'], true);
  const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x13]);
  const bytes = Buffer.concat([
    frame({ opcode: OPCODE.text, payload: good!, rsv1: true }),
    frame({ opcode: OPCODE.text, payload: garbage, rsv1: true }),
    frame({ opcode: OPCODE.text, payload: 'after' }),
  ]);
  const { texts, unread } = await readServerFrames(bytes, [], DEFLATE);
  t.same(texts, ['{"type":"fine"}']);
  t.same(unread, [['bad_deflate_data', true]]);
});

t.test('RSV1 on a continuation frame', async (t) => {
  const bytes = Buffer.concat([frame({ opcode: OPCODE.text, payload: 'a', fin: false }), frame({ opcode: OPCODE.continuation, payload: 'b', rsv1: true })]);
  const { unread } = await readServerFrames(bytes, [], DEFLATE);
  t.same(unread, [['unexpected_rsv1', true]]);
});
