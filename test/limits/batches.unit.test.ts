import t from 'tap';
import { Batches } from '../../src/limits/batches';
import { windowsAt } from '../../src/limits/calendar';
import { Plan } from '../../src/limits/plan';
import type { StoreLink } from '../../src/limits/store-link';
import type { RedisError } from '../../src/redis/errors';

/** A link whose script calls answer `reply` (or reject with it): what a broken or foreign Redis might send. */
function linkAnswering(reply: () => Promise<unknown>) {
  const failures: RedisError[] = [];
  const link = { run: reply, failed: (err: RedisError) => failures.push(err), succeeded: () => {}, flush: () => {} } as unknown as StoreLink;
  return { link, failures };
}

for (const [name, reply] of [
  ['a reply that is not an array', () => Promise.resolve('OK')],
  ['an array too short for the calls', () => Promise.resolve([0])],
  ['a rejection that is not a RedisError', () => Promise.reject(new Error('boom'))],
] as const) {
  t.test(`${name}: every call of the batch fails with a protocol error, counted once`, async (t) => {
    const { link, failures } = linkAnswering(reply);
    const batches = new Batches(link, () => Date.UTC(2026, 11, 7), 30_000);
    const plan = new Plan('bob', { requestsPerMinute: 5, tokensPerDay: 100 }, 'test:');
    const windows = windowsAt(Date.UTC(2026, 11, 7));
    const keys = plan.keysAt(windows);
    const admitted = new Promise<string>((resolve) =>
      batches.admit(plan, windows, keys, {
        stream: false,
        tokens: 1,
        nano: 0,
        id: 'a-1',
        record: true,
        done: () => resolve('done'),
        failed: (err) => resolve(err.kind),
      }),
    );
    const settled = new Promise<string>((resolve) =>
      batches.settle({
        job: { plan, keys, windows, mode: 'end', id: 'a-0', change: [0, 1, 0, 0, 0], lease: '' },
        mode: 'end',
        done: () => resolve('done'),
        failed: (err) => resolve(err.kind),
      }),
    );
    t.equal(await admitted, 'protocol', 'the admission failed');
    t.equal(await settled, 'protocol', 'the settlement failed');
    t.equal(failures.length, 1, 'one failure for the link: one call');
  });
}
