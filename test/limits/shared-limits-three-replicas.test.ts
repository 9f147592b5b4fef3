// Limits hold for the whole deployment, not per replica: three proxies on one Redis admit what one would. A burst
// of 90 requests spread over three replicas admits exactly 20 of requestsPerMinute: 20, each refusal a 429 with
// retry-after and nothing upstream; GET /limits says the same on every replica; a client without limits is never
// refused and never touches the store.
import t from 'tap';
import { request } from '../helpers/http';
import { startRedis } from '../helpers/redis-server';
import { startReplicas } from '../helpers/replicas';

const CLIENTS = '  - { name: alice, key: { env: ALICE_KEY }, limits: { requestsPerMinute: 20 } }\n  - { name: bob, key: { env: BOB_KEY } }';

t.test('a burst of 90 over three replicas admits exactly 20', async (t) => {
  const redis = await startRedis(t);
  const r = await startReplicas(t, { clients: CLIENTS, redis });
  // The bucket refills continuously (20 a minute: one every 3 s), so a slow run may earn one more meanwhile.
  const started = Date.now();
  const refilled = () => Math.floor((Date.now() - started) / 3000);
  const statuses = await Promise.all(Array.from({ length: 90 }, (_, i) => r.call(i % 3, r.keys.alice).then((res) => res.status)));
  const admitted = statuses.filter((s) => s === 200).length;
  const earned = refilled();
  t.ok(admitted >= 20 && admitted <= 20 + earned, `exactly the limit across replicas, plus ${earned} refilled meanwhile: ${admitted}`);
  t.equal(statuses.filter((s) => s === 429).length, 90 - admitted, 'the rest refused');
  t.equal(r.up.requests.length, admitted, 'only the admitted reached the upstream');
  const sequential: number[] = [];
  for (let i = 0; i < 6; i++) sequential.push((await r.call(i % 3, r.keys.alice)).status);
  const later = sequential.filter((s) => s === 200).length;
  t.ok(admitted + later <= 20 + refilled(), `sequential requests after the burst: refused on every replica but for refills (${sequential.join(', ')})`);
  t.ok(sequential.includes(429), 'still refused after the burst');
  const refused = await r.call(1, r.keys.alice);
  t.ok(Number(refused.headers['retry-after']) >= 1, 'with retry-after');
  t.match(refused.json(), { error: { type: 'proxy_error', code: 'rate_limit_exceeded', message: /requestsPerMinute/ } });
  for (let i = 0; i < 10; i++) t.equal((await r.call(i % 3, r.keys.bob)).status, 200, 'bob has no limits');
  const docs = await Promise.all(r.proxies.map(async (p) => (await request(`${p.adminUrl}/limits`)).json()));
  t.match(docs[0], { store: 'redis', state: 'connected', clients: { alice: { requestsPerMinute: { limit: 20 } } } });
  t.notOk('bob' in docs[0].clients, 'only clients with limits are listed');
  const remaining = docs.map((d) => d.clients.alice.requestsPerMinute.remaining);
  t.ok(
    remaining.every((n: number) => n <= 1 + refilled()),
    `every replica reads the same shared bucket (${remaining.join(', ')})`,
  );
  const metrics = (await request(`${r.proxies[0]!.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_limits_store_up 1$/m);
  t.match(metrics, /^openai_proxy_rate_limited_total\{client="alice",limit="requestsPerMinute"\} \d+$/m);
});

t.test('without a store, each replica counts alone', async (t) => {
  const r = await startReplicas(t, { clients: CLIENTS, count: 2 });
  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) statuses.push((await r.call(i % 2, r.keys.alice)).status);
  t.equal(statuses.filter((s) => s === 200).length, 40, 'two replicas, 20 each');
  t.match((await request(`${r.proxies[0]!.adminUrl}/limits`)).json(), { store: 'memory', state: 'local' });
});
