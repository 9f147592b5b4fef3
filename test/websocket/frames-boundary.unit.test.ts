// scan(chunk, from, true) stops at the first frame boundary, which is where the proxy may put a close frame of
// its own: right away between frames, at the end of the frame in flight otherwise, never inside one.
import t from 'tap';
import { FrameScanner, OPCODE } from '../../src/websocket/frames';
import { frame } from './frames-helper';

const first = frame({ opcode: OPCODE.binary, payload: Buffer.alloc(300, 1) });
const second = frame({ opcode: OPCODE.text, payload: 'next' });
const bytes = Buffer.concat([first, second]);

t.test('between frames, the boundary is where scanning starts', async (t) => {
  const scanner = new FrameScanner(undefined);
  t.ok(scanner.atBoundary);
  t.equal(scanner.scan(bytes, 0, true), 0);
});

t.test('inside a frame, the boundary is the end of that frame', async (t) => {
  const scanner = new FrameScanner(undefined);
  t.equal(scanner.scan(bytes.subarray(0, 100)), -1);
  t.notOk(scanner.atBoundary, 'a frame is in flight');
  const rest = bytes.subarray(100);
  const at = scanner.scan(rest, 0, true);
  t.equal(at, first.length - 100, 'right after the first frame');
  t.ok(scanner.atBoundary);
  t.equal(scanner.scan(rest, at), -1, 'the rest scans on from there');
  t.equal(scanner.messages, 2);
});

t.test('a chunk that ends inside the frame has no boundary', async (t) => {
  const scanner = new FrameScanner(undefined);
  scanner.scan(bytes.subarray(0, 1));
  t.equal(scanner.scan(bytes.subarray(1, 200), 0, true), -1, 'half a header, then part of the payload');
  t.equal(scanner.scan(bytes.subarray(200, first.length), 0, true), first.length - 200, 'ends exactly with the frame');
});

t.test('the status code of a masked close frame', async (t) => {
  const mask = Buffer.from([1, 2, 3, 4]);
  const close = frame({ opcode: OPCODE.close, payload: Buffer.from([0x03, 0xf0, 0x62, 0x79, 0x65]), mask });
  for (let cut = 0; cut <= close.length; cut++) {
    const scanner = new FrameScanner(undefined);
    scanner.scan(close.subarray(0, cut));
    scanner.scan(close.subarray(cut));
    if (scanner.closeCode !== 1008) t.fail(`cut at ${cut}: ${scanner.closeCode}`);
  }
  const empty = new FrameScanner(undefined);
  empty.scan(frame({ opcode: OPCODE.close, payload: '' }));
  t.equal(empty.closeCode, 1005, 'a close frame without a code');
  t.equal(new FrameScanner(undefined).closeCode, 0, 'none before a close frame');
});
