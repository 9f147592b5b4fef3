// Close frames of the proxy's own: unmasked to the client, masked (a fresh key each time) to the upstream, and a
// reason too long for a control frame cut without splitting a character.
import t, { type Test } from 'tap';
import { encodeCloseFrame } from '../../src/websocket/close-frame';
import { FrameScanner, OPCODE } from '../../src/websocket/frames';
import { collectingSink } from './frames-helper';

function decode(t: Test, bytes: Buffer): { code: number; reason: string; masked: boolean; opcode: number; fin: boolean } {
  const sink = collectingSink();
  const scanner = new FrameScanner(sink);
  scanner.scan(bytes);
  t.ok(sink.frames.length === 1 && scanner.atBoundary, 'exactly one frame');
  const f = sink.frames[0]!;
  let payload = f.payload;
  if (f.masked) {
    const key = bytes.subarray(2, 6);
    payload = Buffer.from(payload.map((byte, i) => byte ^ key[i & 3]!));
  }
  return { code: scanner.closeCode, reason: payload.subarray(2).toString('utf8'), masked: f.masked, opcode: f.opcode, fin: f.fin };
}

t.test('to the client: unmasked', async (t) => {
  const bytes = encodeCloseFrame(1008, 'budget_exceeded', false);
  t.same(bytes.subarray(0, 4), Buffer.from([0x88, 17, 0x03, 0xf0]));
  t.same(decode(t, bytes), { code: 1008, reason: 'budget_exceeded', masked: false, opcode: OPCODE.close, fin: true });
});

t.test('to the upstream: masked, with a new key each frame', async (t) => {
  const bytes = encodeCloseFrame(1001, 'shutting down', true);
  t.equal(bytes[1]! & 0x80, 0x80, 'mask bit');
  t.same(decode(t, bytes), { code: 1001, reason: 'shutting down', masked: true, opcode: OPCODE.close, fin: true });
  const keys = new Set(Array.from({ length: 8 }, () => encodeCloseFrame(1001, '', true).subarray(2, 6).toString('hex')));
  t.ok(keys.size > 1, 'keys differ');
});

t.test('a long reason is cut at a character boundary', async (t) => {
  const bytes = encodeCloseFrame(1000, 'é'.repeat(100), false);
  t.equal(bytes[1], 2 + 122, '61 two-byte characters fit in 123 bytes');
  t.equal(decode(t, bytes).reason, 'é'.repeat(61));
});
