// The frame scanner finds the same frames, with the same payload bytes, however the stream is cut: headers
// split at any byte, 7-, 16- and 64-bit lengths, masked and unmasked, empty payloads and control frames.
import t, { type Test } from 'tap';
import { FrameScanner, OPCODE } from '../../src/websocket/frames';
import { collectingSink, feedSplit, frame, type FrameSpec } from './frames-helper';

const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const specs: FrameSpec[] = [
  { opcode: OPCODE.text, payload: 'hello' },
  { opcode: OPCODE.binary, payload: Buffer.alloc(0) },
  { opcode: OPCODE.text, payload: 'x'.repeat(125), fin: false },
  { opcode: OPCODE.ping, payload: 'are you there' },
  { opcode: OPCODE.continuation, payload: 'y'.repeat(126), fin: false, mask: MASK },
  { opcode: OPCODE.continuation, payload: 'z'.repeat(300), rsv1: true },
  { opcode: OPCODE.binary, payload: Buffer.alloc(1000, 7), mask: MASK },
  { opcode: OPCODE.close, payload: Buffer.from([0x03, 0xe8]) },
];
const stream = Buffer.concat(specs.map(frame));
// What the sink must see: the payload as it is on the wire (masked frames still masked).
const wirePayloads = specs.map((spec) => {
  const bytes = frame(spec);
  const length = typeof spec.payload === 'string' ? Buffer.byteLength(spec.payload) : spec.payload.length;
  return bytes.subarray(bytes.length - length);
});

function check(t: Test, cuts: number[]): boolean {
  const sink = collectingSink();
  const scanner = new FrameScanner(sink);
  feedSplit(scanner, stream, cuts);
  const problems: string[] = [];
  if (sink.frames.length !== specs.length) problems.push(`${sink.frames.length} frames`);
  for (const [i, spec] of specs.entries()) {
    const got = sink.frames[i];
    if (got === undefined) break;
    if (got.opcode !== spec.opcode || got.fin !== (spec.fin ?? true) || got.rsv1 !== (spec.rsv1 ?? false)) problems.push(`frame ${i} header`);
    const wire = wirePayloads[i]!;
    if (got.masked !== Boolean(spec.mask) || got.length !== wire.length || !got.payload.equals(wire)) problems.push(`frame ${i} payload`);
  }
  if (!scanner.atBoundary) problems.push('not between frames at the end');
  if (scanner.messages !== 4) problems.push(`${scanner.messages} messages, not 4`);
  if (scanner.closeCode !== 1000) problems.push(`close code ${scanner.closeCode}`);
  if (problems.length > 0) t.fail(`cut at ${cuts.length > 1 ? 'every byte' : cuts[0]}: ${problems.join(', ')}`);
  return problems.length === 0;
}

t.test('one cut at every byte boundary', async (t) => {
  let failed = 0;
  for (let cut = 0; cut <= stream.length; cut++) if (!check(t, [cut])) failed++;
  t.equal(failed, 0, `all ${stream.length + 1} cuts`);
});

t.test('every byte in a chunk of its own', async (t) => {
  const cuts: number[] = [];
  for (let i = 1; i < stream.length; i++) cuts.push(i);
  t.ok(check(t, cuts), 'same frames');
});

t.test('a 64-bit length', async (t) => {
  const payload = Buffer.alloc(70_000, 1);
  const bytes = Buffer.concat([frame({ opcode: OPCODE.binary, payload }), frame({ opcode: OPCODE.text, payload: 'after' })]);
  t.equal(bytes[1], 127, 'encoded with the 64-bit form');
  for (let cut = 0; cut <= 20; cut++) {
    const sink = collectingSink();
    feedSplit(new FrameScanner(sink), bytes, [cut, 40_000]);
    t.same(
      sink.frames.map((f) => [f.opcode, f.length, f.payload.length]),
      [
        [OPCODE.binary, 70_000, 70_000],
        [OPCODE.text, 5, 5],
      ],
      `cut at ${cut}`,
    );
  }
});

t.test('a length with the top bit set cannot be framed', async (t) => {
  const head = Buffer.from([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]);
  const sink = collectingSink();
  const scanner = new FrameScanner(sink);
  scanner.scan(head);
  t.equal(scanner.lost, 'bad_length');
  t.same(sink.lost, ['bad_length']);
  t.notOk(scanner.atBoundary, 'no boundary can be trusted any more');
  t.equal(scanner.scan(frame({ opcode: OPCODE.text, payload: 'x' }), 0, true), -1, 'and none is found after');
});
