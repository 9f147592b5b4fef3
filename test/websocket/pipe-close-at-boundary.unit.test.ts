// One direction of a session, on fake sockets: the proxy's close frame waits for the frame in flight to end,
// nothing from the source is relayed after it, a source whose own close frame was in flight gets no second
// one, and a stream that cannot be framed gets no frame of ours at all.
import t from 'tap';
import { Duplex } from 'node:stream';
import { encodeCloseFrame } from '../../src/websocket/close-frame';
import { OPCODE } from '../../src/websocket/frames';
import { Pipe } from '../../src/websocket/pipe';
import { frame } from './frames-helper';

function pipeWithSink(): { pipe: Pipe; written: Buffer[]; progress: number[] } {
  const written: Buffer[] = [];
  const progress: number[] = [];
  const sink = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk);
      done();
    },
  });
  const source = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
  const pipe = new Pipe(source, sink, undefined, { activity() {}, closeProgress: (p) => progress.push(p.scanner.closeCode) });
  return { pipe, written, progress };
}

const CLOSE = encodeCloseFrame(1001, 'going', false);
const big = frame({ opcode: OPCODE.binary, payload: Buffer.alloc(1000, 9) });
const after = frame({ opcode: OPCODE.text, payload: 'after' });

t.test('the close waits for the end of the frame in flight', async (t) => {
  const { pipe, written } = pipeWithSink();
  pipe.onData(big.subarray(0, 300));
  pipe.closeWith(CLOSE);
  t.equal(written.length, 1, 'nothing of ours inside the frame');
  pipe.onData(Buffer.concat([big.subarray(300), after]));
  t.ok(Buffer.concat(written).equals(Buffer.concat([big, CLOSE])), 'the rest of the frame, then the close, and nothing after');
  pipe.onData(after);
  t.equal(Buffer.concat(written).length, big.length + CLOSE.length, 'later frames are not relayed');
  t.ok(pipe.closeForwarded);
});

t.test('between frames the close goes at once', async (t) => {
  const { pipe, written } = pipeWithSink();
  pipe.onData(after);
  pipe.closeWith(CLOSE);
  t.ok(Buffer.concat(written).equals(Buffer.concat([after, CLOSE])));
});

t.test("the source's own close frame was in flight", async (t) => {
  const { pipe, written, progress } = pipeWithSink();
  const theirs = frame({ opcode: OPCODE.close, payload: Buffer.from([0x03, 0xe8, 0x62]) });
  pipe.onData(theirs.subarray(0, 3));
  pipe.closeWith(CLOSE);
  pipe.onData(Buffer.concat([theirs.subarray(3), after]));
  t.ok(Buffer.concat(written).equals(theirs), 'their close, not a second one of ours');
  t.ok(pipe.sourceClosed && pipe.closeForwarded);
  t.same(progress, [1000]);
});

t.test('a stream that cannot be framed', async (t) => {
  const { pipe, written } = pipeWithSink();
  const unframeable = Buffer.from([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]);
  pipe.onData(unframeable);
  pipe.closeWith(CLOSE);
  pipe.onData(after);
  t.ok(Buffer.concat(written).equals(unframeable), 'no close frame, and nothing relayed after');
  t.notOk(pipe.closeForwarded);
});

t.test('a close after the source closed is not sent', async (t) => {
  const { pipe, written } = pipeWithSink();
  const theirs = frame({ opcode: OPCODE.close, payload: '' });
  pipe.onData(theirs);
  pipe.closeWith(CLOSE);
  t.ok(Buffer.concat(written).equals(theirs));
});
