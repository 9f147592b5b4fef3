// The rendered keyless sidecar, run for real: its ConfigMap and a projected ServiceAccount token are laid out
// where the Pod spec mounts them, the built proxy starts with exactly the proxy container's environment, and
// exchanges that token (from the path the chart put in the config file) at the token URL the values name. The
// app's request, with no client key and no Secret anywhere, reaches the upstream with the access token.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { identityToken, startFakeTokenEndpoint } from '../helpers/fake-token-endpoint';
import { handlers, startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { waitForStatus } from '../helpers/keyless';
import { randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { findAll, render } from './helm';
import { layOutProxy } from './pod-layout';

t.test('keyless sidecar, clientAuth none: no Secret, a token file, a request through', async (t) => {
  const tokens = await startFakeTokenEndpoint({ t });
  const upstream = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const valuesFile = join(dir, 'values.yaml');
  writeFileSync(valuesFile, stringify({ upstream: { baseUrl: `${upstream.url}/v1`, workloadIdentity: { tokenUrl: tokens.tokenUrl } } }));
  const objs = render({ values: ['chart/ci/sidecar-keyless-values.yaml', valuesFile] });
  t.same(findAll(objs, 'Secret'), [], 'the chart renders no Secret');
  const podToken = identityToken({ sub: 'system:serviceaccount:ai:openai-proxy' });
  const { env } = layOutProxy(objs, join(dir, 'pod'), {}, { serviceAccountToken: podToken });

  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0' }, tokenEndpoint: tokens });
  await waitForStatus(`${proxy.adminUrl}/readyz`, 200);
  const [exchange] = tokens.exchanges;
  t.equal(exchange!.subjectToken, podToken, "the Pod's projected token is what is exchanged");
  t.match(exchange!.fields, { identity_provider_id: 'wip_0123456789abcdef', service_account_id: 'svcacct_0123456789abcdef' });

  // The app's SDK sends the chart's placeholder key; the proxy replaces it with the access token.
  const res = await request(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer unused-the-openai-proxy-sidecar-holds-the-key' },
    body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  t.equal(res.status, 200);
  t.ok(upstream.lastRequest()!.headers.authorization === `Bearer ${tokens.issued[0]}`, 'the access token went upstream');
  t.equal(await proxy.stop(), 0, 'SIGTERM: clean exit');
});

t.test('keyless Azure service: the default and a tenant, each with its own Entra application', async (t) => {
  const tokens = await startFakeTokenEndpoint({ t });
  const upstream = await startFakeUpstream({ t });
  upstream.handle = handlers.json(200, { object: 'list', data: [] }); // Azure's path prefix, which the defaults do not know
  const dir = tempDir(t);
  const valuesFile = join(dir, 'values.yaml');
  writeFileSync(valuesFile, stringify({ upstream: { baseUrl: `${upstream.url}/openai/v1`, workloadIdentity: { authorityHost: `${tokens.origin}/` } } }));
  const objs = render({ values: ['chart/ci/service-keyless-azure-values.yaml', valuesFile] });
  const keys = { shared: randomKey('pk-shared'), batch: randomKey('pk-batch') };
  const secrets = { 'openai-proxy-client-keys': { 'proxy-api-key': keys.shared }, 'batch-openai-proxy': { 'proxy-api-key': keys.batch } };
  const { env } = layOutProxy(objs, join(dir, 'pod'), secrets, { serviceAccountToken: identityToken({ aud: ['api://AzureADTokenExchange'] }) });
  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', ADMIN_HOST: '127.0.0.1' }, tokenEndpoint: tokens });
  await waitForStatus(`${proxy.adminUrl}/readyz`, 200);
  const byClient = new Map(tokens.exchanges.map((e) => [e.fields.client_id, e]));
  t.same([...byClient.keys()].sort(), ['00000000-1111-2222-3333-444444444444', '55555555-6666-7777-8888-999999999999']);
  t.ok(
    tokens.exchanges.every((e) => e.url === '/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token'),
    "the tenant's token endpoint",
  );
  for (const [key, clientId] of [
    [keys.shared, '00000000-1111-2222-3333-444444444444'],
    [keys.batch, '55555555-6666-7777-8888-999999999999'],
  ] as const) {
    const res = await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': key } });
    t.equal(res.status, 200);
    const seen = upstream.lastRequest()!;
    t.equal(seen.url, '/openai/v1/models');
    t.ok(seen.headers.authorization === `Bearer ${byClient.get(clientId)!.issued}`, `the token of ${clientId}`);
  }
});
