import t from 'tap';
import { IncludedUsageFilter, MAX_EVENT_BYTES } from '../../src/usage/usage-filter';

/**
 * Streaming is not delayed: every complete event in a read goes out with that read, only the event still
 * arriving is held, and an event too large to hold goes out as it is.
 */

const chunk = (content: string) => `data: {"id":"c1","choices":[{"index":0,"delta":{"content":"${content}"}}],"usage":null}\n\n`;
const clean = (content: string) => `data: {"id":"c1","choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;
const text = (pieces: Buffer[]) => Buffer.concat(pieces).toString('utf8');

t.test('complete events go out with the read that completes them', async (t) => {
  const filter = new IncludedUsageFilter(() => t.fail('no usage here'));
  const two = chunk('a') + chunk('b');
  const third = chunk('c');
  t.equal(text(filter.write(Buffer.from(two + third.slice(0, 20)))), clean('a') + clean('b'), 'two events out, the third held');
  t.equal(text(filter.write(Buffer.from(third.slice(20, -1)))), '', 'still incomplete: nothing out');
  t.equal(text(filter.write(Buffer.from(third.slice(-1)))), clean('c'), 'its blank line completes it');
  t.same(filter.end(), [], 'nothing left');
});

t.test('an unchanged read goes out as the same buffer, not a copy', async (t) => {
  const filter = new IncludedUsageFilter(() => {});
  const read = Buffer.from(': keep-alive\n\ndata: [DONE]\n\n');
  const out = filter.write(read);
  t.equal(out.length, 1);
  t.equal(out[0], read);
});

t.test('a stream cut inside an event: end() gives the held bytes as they came', async (t) => {
  const filter = new IncludedUsageFilter(() => t.fail('a cut usage chunk is not usage'));
  const partial = 'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":3';
  t.equal(text(filter.write(Buffer.from(chunk('a') + partial))), clean('a'));
  t.equal(text(filter.end()), partial);
});

t.test('an event larger than MAX_EVENT_BYTES passes untouched, and the next ones are filtered again', async (t) => {
  const usages: unknown[] = [];
  const filter = new IncludedUsageFilter((u) => usages.push(u));
  const huge = chunk('x'.repeat(MAX_EVENT_BYTES + 10_000));
  const out: Buffer[] = [];
  for (let i = 0; i < huge.length - 100; i += 4096) out.push(...filter.write(Buffer.from(huge.slice(i, Math.min(i + 4096, huge.length - 100)))));
  t.ok(Buffer.concat(out).length > MAX_EVENT_BYTES, 'went out before its end arrived');
  const tail = `${huge.slice(-100) + chunk('y')}data: {"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\n`;
  out.push(...filter.write(Buffer.from(tail)), ...filter.end());
  t.equal(text(out), huge + clean('y'));
  t.same(usages, [{ prompt_tokens: 3, completion_tokens: 2 }]);
});
