import t from 'tap';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IncludedUsageStream } from '../../src/usage/usage-filter';
import { allPairs } from './stream-variants';

/** The filter as a stream stage: the same bytes as the function form, through a slow reader (backpressure). */

function slowSink(into: Buffer[]): Writable {
  return new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, done) {
      into.push(chunk);
      setImmediate(done);
    },
  });
}

t.test('upstream pieces -> filter -> slow client', async (t) => {
  const { withUsage, without, usage } = allPairs()[3]!;
  const pieces: Buffer[] = [];
  for (let i = 0; i < withUsage.length; i += 37) pieces.push(withUsage.subarray(i, i + 37));
  const usages: unknown[] = [];
  const received: Buffer[] = [];
  await pipeline(Readable.from(pieces, { objectMode: false, highWaterMark: 16 }), new IncludedUsageStream((u) => usages.push(u)), slowSink(received));
  t.ok(Buffer.concat(received).equals(without));
  t.same(usages, [usage]);
});

t.test('the held bytes of a stream cut inside an event are flushed at its end', async (t) => {
  const received: Buffer[] = [];
  await pipeline(Readable.from([Buffer.from('data: {"usage":null,"a":1}\n\ndata: {"us')]), new IncludedUsageStream(() => {}), slowSink(received));
  t.equal(Buffer.concat(received).toString(), 'data: {"a":1}\n\ndata: {"us');
});

t.test('a listener that throws fails the stream, it does not throw out of it', async (t) => {
  const stream = new IncludedUsageStream(() => {
    throw new Error('listener broke');
  });
  const failed = pipeline(Readable.from([Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":1}}\n\n')]), stream, slowSink([]));
  await t.rejects(failed, { message: 'listener broke' });
});
