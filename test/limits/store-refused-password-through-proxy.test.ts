// A wrong Redis password given to the real proxy (LIMITS_REDIS_USERNAME / LIMITS_REDIS_PASSWORD): the proxy starts
// and is ready, logs the refusal at error once, in Redis's own words, however often Redis refuses it, never shows
// the password anywhere, and decides each client's limits alone (state local).
import t from 'tap';
import { sleep } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startRedis } from '../helpers/redis-server';
import { startReplicas } from '../helpers/replicas';
import { openClient } from '../redis/real-client';

const USER = { name: 'proxy', password: 'right-Redis-Secret-7f3a9c' };
const WRONG = 'wrong-Redis-Secret-0b81d4';
const CLIENTS = '  - { name: alice, key: { env: ALICE_KEY }, limits: { requestsPerMinute: 3 } }\n  - { name: bob, key: { env: BOB_KEY } }';

t.test('a refused password: ready, one error line with Redis’s message, the password nowhere, limits decided here', async (t) => {
  const redis = await startRedis(t, { user: USER });
  const r = await startReplicas(t, {
    clients: CLIENTS,
    redis,
    count: 1,
    env: { LIMITS_REDIS_USERNAME: USER.name, LIMITS_REDIS_PASSWORD: WRONG },
  });
  const proxy = r.proxies[0]!;
  t.equal((await request(`${proxy.adminUrl}/readyz`)).status, 200, 'started and ready');

  const admin = openClient(t, { url: redis.url, username: () => USER.name, password: () => USER.password });
  await admin.connected();
  const refusals = async () => {
    const entries = (await admin.client.send(['ACL', 'LOG'])) as Map<string, unknown>[];
    return entries.filter((e) => e.get('reason') === 'auth').reduce((sum, e) => sum + Number(e.get('count')), 0);
  };
  /** Reconnects back off up to 5 s: 15 s is room for a few more. */
  const refusalsReach = async (count: number) => {
    for (const until = Date.now() + 15_000; Date.now() < until; await sleep(50)) if ((await refusals()) >= count) return true;
    return false;
  };
  t.ok(await refusalsReach(3), "Redis refused the proxy's password three times: it keeps trying");
  const refused = await refusals();

  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await r.call(0, r.keys.alice)).status);
  t.same(statuses, [200, 200, 200, 429, 429], "alice's 3 a minute, enforced by this replica alone");
  for (let i = 0; i < 5; i++) t.equal((await r.call(0, r.keys.bob)).status, 200, 'bob has no limits');
  t.match((await request(`${proxy.adminUrl}/limits`)).json(), { store: 'redis', state: 'local' });
  const metrics = (await request(`${proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_limits_store_up 0$/m);

  t.ok(await refusalsReach(refused + 1), 'Redis goes on refusing it');
  const lines = proxy.logs.filter((l) => l.event === 'limits_store_refused');
  t.same(
    lines.map((l) => [l.level, l.reason, l.message]),
    [['error', 'auth', 'WRONGPASS invalid username-password pair or user is disabled.']],
    'one error line for all the refusals, in Redis’s words',
  );
  t.equal(proxy.logs.filter((l) => JSON.stringify(l).includes('WRONGPASS')).length, 1, 'and no other line about it');
  t.notOk(proxy.stdout.includes(WRONG) || proxy.stderr.includes(WRONG) || metrics.includes(WRONG), 'the password appears in no log line or metric');
  t.notOk(proxy.stdout.includes(USER.password), 'nor the right one');
});
