// onStoreError: deny through the real proxy: with Redis gone, a client with limits gets 503 limits_unavailable and
// nothing goes upstream, while a client without limits is served as before and the proxy stays ready. Redis back:
// the client with limits is served again.
import t from 'tap';
import { sleep } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startRedis } from '../helpers/redis-server';
import { startReplicas, type Replicas } from '../helpers/replicas';

const CLIENTS =
  '  - { name: alice, key: { env: ALICE_KEY }, limits: { requestsPerMinute: 100, tokensPerDay: 100000 } }\n  - { name: bob, key: { env: BOB_KEY } }';

async function stateBecomes(r: Replicas, state: string): Promise<boolean> {
  for (const until = Date.now() + 15_000; Date.now() < until; await sleep(20)) {
    if ((await request(`${r.proxies[0]!.adminUrl}/limits`)).json().state === state) return true;
  }
  return false;
}

t.test('Redis down with onStoreError deny: limits_unavailable for clients with limits only', async (t) => {
  const redis = await startRedis(t);
  const r = await startReplicas(t, { clients: CLIENTS, redis, limits: '  onStoreError: deny', count: 1 });
  t.ok(await stateBecomes(r, 'connected'), 'connected to Redis');
  t.equal((await r.call(0, r.keys.alice)).status, 200, 'alice admitted by Redis');

  await redis.kill();
  t.ok(await stateBecomes(r, 'deny'), '/limits reports state deny');
  const before = r.up.requests.length;
  for (let i = 0; i < 3; i++) {
    const refused = await r.call(0, r.keys.alice);
    t.equal(refused.status, 503, 'alice: 503');
    t.match(refused.headers['content-type'], /^application\/json/);
    t.match(refused.json(), { error: { type: 'proxy_error', code: 'limits_unavailable', message: String } });
  }
  t.equal(r.up.requests.length, before, 'nothing of alice went upstream');
  for (let i = 0; i < 3; i++) t.equal((await r.call(0, r.keys.bob)).status, 200, 'bob has no limits: served');
  t.equal(r.up.requests.length, before + 3, "bob's requests went upstream");
  t.equal((await request(`${r.proxies[0]!.adminUrl}/readyz`)).status, 200, '/readyz stays 200');
  const metrics = (await request(`${r.proxies[0]!.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_limits_store_up 0$/m);
  t.notMatch(metrics, /openai_proxy_rate_limited_total\{client="alice"/, 'a store fault is not a rate limit');

  await redis.restart();
  t.ok(await stateBecomes(r, 'connected'), 'connected again');
  t.equal((await r.call(0, r.keys.alice)).status, 200, 'alice served again');
});
