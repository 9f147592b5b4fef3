// The rendered Pod of an operator's Redis (chart/ci/service-limits-redis-values.yaml), run for real against a
// real redis-server with TLS and an ACL user: the URL, user and password come from the Secret the chart mounts,
// the CA from the other one (the proxy runs without the test CA in its trust store, so TLS can succeed only
// through the chart's caFile). bob's limits and allowedModels hold, and his counters are in that Redis under
// the chart's key prefix. Only the upstream URL and bob's limits differ from the values file.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { CA_PEM, assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { startRedis } from '../helpers/redis-server';
import { tempDir } from '../helpers/tmp';
import { openClient } from '../redis/real-client';
import { render } from './helm';
import { layOutProxy } from './pod-layout';
import { valuesFile } from './values-file';

t.test("bob's limits, counted in the operator's Redis over TLS as its ACL user", async (t) => {
  const user = { name: 'openai-proxy', password: randomKey('redis-password') };
  const redis = await startRedis(t, { tls: true, user });
  // Plain HTTP on loopback: the proxy runs without the test CA, so only the store's TLS is under test.
  const upstream = await startFakeUpstream({ t, plainHttp: true });
  const k = { upstream: randomKey('sk-test-upstream'), client: randomKey('pk-test-default'), bob: randomKey('pk-test-bob') };
  const bob = { name: 'bob', existingSecret: 'bob-openai-proxy', allowedModels: ['gpt-4.1-mini'], limits: { requestsPerMinute: 2, tokensPerDay: 2000000 } };
  const overlay = valuesFile(t, { upstream: { baseUrl: `${upstream.url}/v1` }, clients: [bob] });
  const objs = render({ values: ['chart/ci/service-limits-redis-values.yaml', overlay] });
  const { env } = layOutProxy(objs, join(tempDir(t), 'pod'), {
    'openai-proxy-keys': { 'openai-api-key': k.upstream, 'proxy-api-key': k.client },
    'bob-openai-proxy': { 'proxy-api-key': k.bob },
    'openai-proxy-redis': { url: `${redis.url}/0\n`, username: `${user.name}\n`, password: `${user.password}\n` },
    'openai-proxy-redis-ca': { 'ca.crt': readFileSync(CA_PEM, 'utf8') },
  });
  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0', NODE_EXTRA_CA_CERTS: undefined }, secrets: [user.password] });

  const limits = async () => (await request(`${proxy.adminUrl}/limits`)).json() as Record<string, any>;
  for (let i = 0; i < 200 && (await limits()).state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 25));
  t.match(await limits(), { store: 'redis', state: 'connected' }, "connected through the chart's URL, user, password and CA");

  const call = (model: string) =>
    request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': k.bob },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
  const before = upstream.requests.length;
  const other = await call('gpt-4.1');
  t.equal(other.status, 403, 'a model bob may not use');
  t.match(other.json(), { error: { code: 'model_not_allowed' } });
  t.equal(upstream.requests.length, before, 'and nothing went upstream');
  const first = await call('gpt-4.1-mini');
  t.equal(first.status, 200);
  t.equal((await call('gpt-4.1-mini')).status, 200);
  const third = await call('gpt-4.1-mini');
  t.equal(third.status, 429, 'requestsPerMinute: 2');
  t.match(third.json(), { error: { code: 'rate_limit_exceeded' } });
  t.ok(third.headers['retry-after'], 'with retry-after');

  const admin = openClient(t, { url: redis.url, caFile: CA_PEM, username: () => user.name, password: () => user.password });
  await admin.connected();
  const keys = (await admin.client.send(['KEYS', '*'])) as Buffer[] | string[];
  t.ok(keys.length > 0 && keys.every((key) => String(key).startsWith('openai-proxy:')), "bob's counters are in Redis under the chart's keyPrefix");
  t.match((await limits()).clients, { bob: { requestsPerMinute: { limit: 2, remaining: 0 } } }, 'GET /limits reads them back');
  await assertNoKeyLeak(t, proxy, [...Object.values(k), user.password]);
  t.equal(await proxy.stop(), 0, 'SIGTERM: clean exit');
});
