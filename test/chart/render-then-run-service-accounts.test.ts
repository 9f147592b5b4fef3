// The rendered ServiceAccount variant (chart/ci/service-serviceaccounts-values.yaml), run for real: the
// projected volume the chart mounts (the proxy's own API token and the cluster CA) is laid out where the Pod
// spec says, the chart's config file points the JWKS fetch at them, and a caller's token maps to its client.
// The CA comes only from that volume: the proxy runs without the test CA in its trust store, so the JWKS
// fetch can succeed only through the chart's caFile. Only the JWKS URL and upstream differ from the file.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { CA_PEM, randomKey, startProxy } from '../helpers/proxy';
import { startJwksServer } from '../helpers/jwks-server';
import { jwksOf, serviceAccountToken, signingKey } from '../helpers/service-accounts';
import { tempDir } from '../helpers/tmp';
import { render } from './helm';
import { layOutProxy } from './pod-layout';

t.test('ServiceAccount callers through the rendered Pod', async (t) => {
  const upstream = await startFakeUpstream({ t, plainHttp: true });
  const key = signingKey('RS256');
  const k = { upstream: randomKey('sk-test-upstream'), bob: randomKey('client-bob'), apiToken: randomKey('proxy-api-token') };
  const jwks = await startJwksServer({ t, document: jwksOf(key), bearer: k.apiToken });
  const objs = render({
    values: ['chart/ci/service-serviceaccounts-values.yaml'],
    set: [`upstream.baseUrl=${upstream.url}`, `auth.serviceAccounts.jwksUrl=${jwks.url}`, 'networkPolicy.enabled=false'],
  });
  const { env } = layOutProxy(objs, join(tempDir(t), 'pod'), {
    'openai-proxy-upstream': { 'openai-api-key': k.upstream },
    'bob-openai-proxy': { 'proxy-api-key': k.bob },
    'openai-proxy-kube-api': { token: `${k.apiToken}\n`, 'ca.crt': readFileSync(CA_PEM, 'utf8') },
  });
  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0', NODE_EXTRA_CA_CERTS: undefined }, secrets: [k.apiToken] });
  for (let i = 0; i < 200 && (await request(`${proxy.adminUrl}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 25));
  t.equal((await request(`${proxy.adminUrl}/readyz`)).status, 200, "ready: the JWKS came through the chart's token and CA");
  t.same(
    jwks.requests.map((r) => r.authorization),
    [`Bearer ${k.apiToken}`],
  );

  const call = (credential: string) => request(`${proxy.url}/v1/models`, { headers: { authorization: `Bearer ${credential}` } });
  const tokens = {
    chatbot: serviceAccountToken(key, { namespace: 'team-a', serviceAccount: 'chatbot' }),
    teamB: serviceAccountToken(key, { namespace: 'team-b', serviceAccount: 'anything' }),
    bobBatch: serviceAccountToken(key, { namespace: 'bob', serviceAccount: 'batch' }),
    stranger: serviceAccountToken(key, { namespace: 'team-c', serviceAccount: 'chatbot' }),
  };
  proxy.keys.client.push(...Object.values(tokens));
  t.equal((await call(tokens.chatbot)).status, 200, 'team-a/chatbot');
  t.equal((await call(tokens.teamB)).status, 200, 'team-b/*');
  t.equal((await call(tokens.bobBatch)).status, 200, 'bob/batch');
  t.equal((await call(k.bob)).status, 200, "bob's key from his Secret, beside his ServiceAccount");
  t.equal((await call(tokens.stranger)).status, 401, 'a ServiceAccount the values do not list');
  t.ok(
    upstream.requests.every((r) => r.headers.authorization === `Bearer ${k.upstream}`),
    'upstream always got the upstream key',
  );

  await proxy.waitForLog(() => proxy.logs.filter((l) => l.event === 'request').length === 5);
  t.same(
    proxy.logs.filter((l) => l.event === 'request').map((l) => [l.client, l.serviceAccount ?? null]),
    [
      ['team-a', 'team-a/chatbot'],
      ['team-a', 'team-b/anything'],
      ['bob', 'bob/batch'],
      ['bob', null],
      ['unauthenticated', 'team-c/chatbot'],
    ],
  );
  t.equal(await proxy.stop(), 0);
});
