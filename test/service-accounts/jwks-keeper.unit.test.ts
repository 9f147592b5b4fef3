// The key set's life: fetched at start, again on the refresh period, retried with backoff after a failure
// (keeping the last good set), and replaced only by a good fetch. Runs on a shortened schedule; nothing here
// asserts how long anything took, only what happened in which order.
import t from 'tap';
import { JWKS_SCHEDULE, JwksKeeper, nextFetchDelay, type RefreshResult } from '../../src/service-accounts/jwks-keeper';
import { createLogger } from '../../src/observability/log';
import { jwksOf, signingKey } from '../helpers/service-accounts';

const a = signingKey('RS256');
const b = signingKey('ES256');
const schedule = { refreshMs: 30, unknownKeyMs: 1_000, retryMs: 5, retryMaxMs: 20 };

function keeperOver(t: { teardown(fn: () => void): void }, answers: Array<string | Error>) {
  const results: RefreshResult[] = [];
  const lines: string[] = [];
  let changes = 0;
  let calls = 0;
  const keeper = new JwksKeeper(
    {
      load: async () => {
        const answer = answers[Math.min(calls++, answers.length - 1)]!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      log: createLogger('debug', (line) => lines.push(line)),
      onRefresh: (r) => results.push(r),
      onChange: () => changes++,
    },
    schedule,
  );
  t.teardown(() => keeper.close());
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 2000 && !pred(); i++) await new Promise((r) => setTimeout(r, 2));
    if (!pred()) throw new Error('condition never met');
  };
  return { keeper, results, lines, until, changes: () => changes, calls: () => calls };
}

t.test('fetched at start and on every refresh period; an unchanged set is not rebuilt', async (t) => {
  const k = keeperOver(t, [jwksOf(a)]);
  t.notOk(k.keeper.ready(), 'not ready before the first fetch');
  k.keeper.start();
  await k.until(() => k.keeper.ready());
  t.same([...k.keeper.keys!.keys()], [a.kid]);
  const first = k.keeper.keys;
  await k.until(() => k.calls() >= 3);
  t.equal(k.keeper.keys, first, 'the same document twice: the same key set object, nothing replaced');
  t.equal(k.changes(), 0);
  t.ok(k.results.every((r) => r === 'success'));
});

t.test('a changed document replaces the set and says so', async (t) => {
  const k = keeperOver(t, [jwksOf(a), jwksOf(a, b)]);
  k.keeper.start();
  await k.until(() => k.keeper.keys?.size === 2);
  t.equal(k.changes(), 1, 'onChange once: the cache must forget verdicts of the old set');
  const logged = k.lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'jwks_refresh' && l.changed);
  t.same(
    logged.map((l) => l.kids),
    [[a.kid], [a.kid, b.kid]],
    'each new set is logged with its kids',
  );
});

t.test('failures keep the last good set, are retried with backoff, and are logged with their cause', async (t) => {
  const k = keeperOver(t, [new Error('connect ECONNREFUSED 10.96.0.1:443'), jwksOf(a), new Error('HTTP 503'), 'not json', jwksOf(b)]);
  k.keeper.start();
  await k.until(() => k.keeper.ready());
  t.same(k.results.slice(0, 2), ['failure', 'success'], 'the failed first fetch was retried');
  await k.until(() => k.results.length >= 4);
  t.same([...k.keeper.keys!.keys()], [a.kid], 'two failed refreshes (an error, a bad document): the last good set stays');
  await k.until(() => k.keeper.keys!.has(b.kid));
  const failures = k.lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'jwks_refresh' && l.result === 'failure');
  t.match(failures[0], { level: 'error', reason: /ECONNREFUSED/, action: /no keys yet/ });
  t.match(failures[1], { reason: /HTTP 503/, action: /keeping the last good keys/ });
  t.match(failures[2], { reason: /not JSON/ });
  t.ok(
    k.lines.some((l) => l.includes('jwks_refresh_recovered')),
    'recovery is logged',
  );
});

t.test('the schedule: 5 minutes after a good fetch; 1 s doubling to 30 s after failures in a row', async (t) => {
  t.equal(nextFetchDelay(true, 0, JWKS_SCHEDULE), 300_000);
  t.same(
    [1, 2, 3, 4, 5, 6, 7, 20].map((n) => nextFetchDelay(false, n, JWKS_SCHEDULE)),
    [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000],
  );
  t.equal(JWKS_SCHEDULE.unknownKeyMs, 30_000, 'an unknown kid fetches at most every 30 s');
});

t.test('close stops the schedule', async (t) => {
  const k = keeperOver(t, [jwksOf(a)]);
  k.keeper.start();
  await k.until(() => k.keeper.ready());
  k.keeper.close();
  const calls = k.calls();
  await new Promise((r) => setTimeout(r, schedule.refreshMs * 4));
  t.equal(k.calls(), calls, 'no fetch after close');
});
