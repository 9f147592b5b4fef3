// The rendered multi-tenant Pod (chart/ci/service-clients-values.yaml), run for real: each client's own
// Secret, mounted where the chart puts it and named by the chart's config file, authenticates that client,
// and a client's own upstream key and headers reach the upstream. Only the upstream URL differs from the file.
import t from 'tap';
import { join } from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { render } from './helm';
import { layOutProxy } from './pod-layout';

t.test('clients from their own Secrets', async (t) => {
  const upstream = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const k = {
    upstream: randomKey('sk-test-upstream'),
    alice: randomKey('client-alice'),
    bob: randomKey('client-bob'),
    bobUpstream: randomKey('sk-test-bob-upstream'),
  };
  const objs = render({ values: ['chart/ci/service-clients-values.yaml'], set: [`upstream.baseUrl=${upstream.url}`] });
  // The Secrets a user creates with kubectl before installing (their names come from the values file).
  const { env } = layOutProxy(objs, join(dir, 'pod'), {
    'openai-proxy-upstream': { 'openai-api-key': `${k.upstream}\n` },
    'alice-openai-proxy': { 'proxy-api-key': `${k.alice}\n` },
    'bob-openai-proxy': { key: k.bob, 'openai-api-key': k.bobUpstream },
  });
  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0' } });
  const listening = proxy.logs.find((l) => l.event === 'listening')!;
  t.same([...listening.clients].sort(), ['alice', 'bob.batch'], 'exactly the clients of the values file');

  const body = JSON.stringify({ model: 'gpt-4.1-mini', input: 'hi' });
  const call = (key: string, path = '/v1/responses') =>
    request(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
  const texts: string[] = [];

  const alice = await call(k.alice);
  texts.push(alice.text);
  t.equal(alice.status, 200, 'alice');
  t.ok(upstream.lastRequest()!.headers.authorization === `Bearer ${k.upstream}`, 'alice uses the shared upstream key');

  const bob = await call(k.bob);
  texts.push(bob.text);
  t.equal(bob.status, 200, 'bob.batch');
  const seen = upstream.lastRequest()!;
  t.ok(seen.headers.authorization === `Bearer ${k.bobUpstream}`, 'bob.batch uses the upstream key from his own Secret');
  t.equal(seen.headers['openai-project'], 'proj_bob', 'with his configured header');

  const before = upstream.requests.length;
  const outside = await call(k.alice, '/v1/models');
  t.equal(outside.status, 404, "the values file's endpoints replace the default allowlist");
  t.equal(upstream.requests.length, before);

  await assertNoKeyLeak(t, proxy, Object.values(k), texts);
});
