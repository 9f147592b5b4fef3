// onStoreError: local (the default) through two real proxies: Redis killed mid-traffic, requests are still answered,
// each replica enforcing alice's limits alone (state local, store_up 0); Redis restarted with its data, both are
// connected again and the day's tokens in the store are every token answered: before, while down, and after.
import t from 'tap';
import { handlers, sleep } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startRedis } from '../helpers/redis-server';
import { startReplicas, type Replicas } from '../helpers/replicas';

// A request a minute refills every 20 s: far longer than the few requests below take.
const RPM = 3;
const CLIENTS = `  - { name: alice, key: { env: ALICE_KEY }, limits: { requestsPerMinute: ${RPM}, tokensPerDay: 1000000 } }\n  - { name: bob, key: { env: BOB_KEY } }`;

async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (const until = Date.now() + 15_000; Date.now() < until; await sleep(20)) if (await check()) return true;
  return false;
}

const limitsOf = async (r: Replicas, i: number) => (await request(`${r.proxies[i]!.adminUrl}/limits`)).json();
const everyReplica = (r: Replicas, check: (doc: any) => boolean) =>
  eventually(async () => (await Promise.all(r.proxies.map((_, i) => limitsOf(r, i)))).every(check));

/** What the access logs of every replica say was used by alice's answered requests. */
function tokensAnswered(r: Replicas): number {
  const lines = r.proxies.flatMap((p) => p.logs.filter((l) => l.event === 'request' && l.client === 'alice' && l.status === 200));
  return lines.reduce((sum, l) => sum + l.usage.input + l.usage.output, 0);
}

t.test('Redis down and back (local): answered alone meanwhile, and nothing lost', async (t) => {
  const redis = await startRedis(t, { appendOnly: true });
  const r = await startReplicas(t, { clients: CLIENTS, redis, count: 2 });
  r.up.handle = handlers.json(200, { choices: [], usage: { prompt_tokens: 60, completion_tokens: 40, total_tokens: 100 } });
  t.ok(await everyReplica(r, (d) => d.state === 'connected'), 'both connected');
  t.same([(await r.call(0, r.keys.alice)).status, (await r.call(1, r.keys.alice)).status], [200, 200], 'through Redis');
  t.ok(await everyReplica(r, (d) => d.clients.alice.tokensPerDay.used === 200), 'settled in the store');

  await redis.kill();
  t.ok(await everyReplica(r, (d) => d.state === 'local'), '/limits: state local on both');
  for (const i of [0, 1]) {
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof r.call>> | undefined;
    for (let n = 0; n < RPM + 2; n++) {
      const res = await r.call(i, r.keys.alice);
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    t.same(statuses, [200, 200, 200, 429, 429], `replica ${i} alone admits its own ${RPM} a minute`);
    t.match(refused?.json(), { error: { type: 'proxy_error', code: 'rate_limit_exceeded', message: /requestsPerMinute/ } });
    t.ok(Number(refused?.headers['retry-after']) >= 1, 'with retry-after');
    t.equal((await r.call(i, r.keys.bob)).status, 200, 'bob is served');
    const metrics = (await request(`${r.proxies[i]!.adminUrl}/metrics`)).text;
    t.match(metrics, /^openai_proxy_limits_store_up 0$/m, `replica ${i}: store_up 0`);
  }
  const total = 200 + 2 * RPM * 100;
  // Each access log line is written as its response ends: the last may still be on its way.
  t.ok(await eventually(async () => tokensAnswered(r) === total), `the access logs: ${2 + 2 * RPM} requests of alice answered, ${total} tokens`);

  await redis.restart();
  t.ok(await everyReplica(r, (d) => d.state === 'connected'), 'both connected again');
  for (const p of r.proxies) t.match((await request(`${p.adminUrl}/metrics`)).text, /^openai_proxy_limits_store_up 1$/m);
  t.ok(
    await everyReplica(r, (d) => d.clients.alice.tokensPerDay.used === total),
    `the store has all ${total} tokens: what both replicas saw while down was added`,
  );
  const doc = await limitsOf(r, 0);
  t.match(doc.clients.alice.tokensPerDay, { limit: 1000000, used: total, remaining: 1000000 - total });
});
