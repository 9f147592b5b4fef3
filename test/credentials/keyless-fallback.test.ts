// Keyless credentials and fallback upstreams: a fallback may be keyless (its own workload identity exchange,
// labelled upstream:<name>), and the proxy is ready when at least one upstream of the chain has a credential: a
// keyless primary whose token endpoint is down does not hold readiness while a fallback with a key serves.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startFakeTokenEndpoint } from '../helpers/fake-token-endpoint';
import { handlers, startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { identityEnv, metricValue, startKeyless, waitForStatus } from '../helpers/keyless';
import { randomKey, startProxy } from '../helpers/proxy';
import { tempDir, writeSecretDir } from '../helpers/tmp';
import { identityToken } from '../helpers/fake-token-endpoint';

t.test('a keyless primary without a credential: ready on the fallback, and its requests go there', async (t) => {
  const paygo = await startFakeUpstream({ t });
  const paygoKey = randomKey('sk-test-paygo');
  const dir = tempDir(t);
  writeFileSync(join(dir, 'proxy.yaml'), `upstream:\n  fallbacks:\n    - { name: paygo, baseUrl: ${paygo.url}, apiKey: { value: ${paygoKey} } }\n`);
  const k = await startKeyless(t, { answers: [], env: { PROXY_CONFIG: join(dir, 'proxy.yaml') }, waitReady: false });
  k.tokens.otherwise = { error: { status: 503 } };
  await waitForStatus(`${k.proxy.adminUrl}/readyz`, 200);
  const res = await request(`${k.proxy.url}/v1/models`, { headers: k.auth });
  t.equal(res.status, 200, 'the fallback answers');
  t.equal(k.up.requests.length, 0, 'nothing went to the primary without a credential');
  t.ok(paygo.lastRequest()!.headers.authorization === `Bearer ${paygoKey}`);
  t.match(await k.proxy.waitForLog((l) => l.event === 'request'), { upstream: 'paygo', attempts: 2 });
});

t.test('a keyless fallback exchanges its own credential', async (t) => {
  const tokens = await startFakeTokenEndpoint({ t });
  const primary = await startFakeUpstream({ t });
  const paygo = await startFakeUpstream({ t });
  primary.handle = handlers.openaiError(503, 'overloaded');
  const dir = tempDir(t);
  writeSecretDir(join(dir, 'identity'), { token: `${identityToken()}\n` }, 'v1');
  const env = identityEnv('openai', join(dir, 'identity', 'token'), tokens);
  const identity = `{ provider: openai, tokenFile: ${env.OPENAI_IDENTITY_TOKEN_FILE}, identityProviderId: wip_1, serviceAccountId: svc_1, tokenUrl: ${tokens.tokenUrl} }`;
  writeFileSync(join(dir, 'proxy.yaml'), `upstream:\n  fallbacks:\n    - { name: paygo, baseUrl: ${paygo.url}, apiKey: { workloadIdentity: ${identity} } }\n`);
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, {
    upstream: primary,
    tokenEndpoint: tokens,
    env: { PROXY_CONFIG: join(dir, 'proxy.yaml'), OPENAI_API_KEY: randomKey('sk-test-primary'), PROXY_X_API_KEY: clientKey },
  });
  await tokens.waitForExchanges(1);
  await waitForStatus(`${proxy.adminUrl}/readyz`, 200);
  const res = await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': clientKey } });
  t.equal(res.status, 200);
  t.ok(paygo.lastRequest()!.headers.authorization === `Bearer ${tokens.issued[0]}`, "the fallback's access token goes to it");
  const metrics = (await request(`${proxy.adminUrl}/metrics`)).text;
  t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'upstream:paygo', result: 'success' }), 1, 'labelled upstream:paygo');
});
