// Keyless upstream through OpenAI workload identity federation, set up by the env form LiteLLM also reads:
// the projected token is exchanged (RFC 8693, exactly the fields OpenAI's SDK sends) for an access token, which
// goes upstream as `Authorization: Bearer`; the proxy is ready once it has one, and says so in its metrics.
import t from 'tap';
import { join } from 'node:path';
import { startFakeTokenEndpoint, identityToken } from '../helpers/fake-token-endpoint';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { fetchText, randomKey, startProxy } from '../helpers/proxy';
import { tempDir, writeSecretDir } from '../helpers/tmp';

t.test('openai: exchange, Bearer upstream, readiness, metrics, log line', async (t) => {
  const tokens = await startFakeTokenEndpoint({ t });
  const up = await startFakeUpstream({ t });
  const dir = join(tempDir(t), 'identity');
  const subject = identityToken();
  writeSecretDir(dir, { token: `${subject}\n` }, 'v1');
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, {
    upstream: up,
    tokenEndpoint: tokens,
    env: {
      PROXY_X_API_KEY: clientKey,
      OPENAI_IDENTITY_PROVIDER_ID: 'wip_test123',
      OPENAI_SERVICE_ACCOUNT_ID: 'svcacct_test456',
      OPENAI_IDENTITY_TOKEN_FILE: join(dir, 'token'),
      OPENAI_IDENTITY_TOKEN_URL: tokens.tokenUrl,
    },
  });
  const [exchange] = await tokens.waitForExchanges(1);
  t.equal(exchange!.method, 'POST');
  t.equal(exchange!.url, '/oauth/token');
  t.match(exchange!.contentType, /^application\/json/);
  t.same(exchange!.fields, {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    subject_token: subject,
    identity_provider_id: 'wip_test123',
    service_account_id: 'svcacct_test456',
  }, 'exactly the RFC 8693 fields, the token file trimmed');
  const line = await proxy.waitForLog((l) => l.event === 'credential_refresh');
  t.match(line, { credential: 'upstream', result: 'success', trigger: 'start' });
  t.match(line.fingerprint, /^[0-9a-f]{8}$/, 'the access token is named by its fingerprint');

  await waitReady(proxy.adminUrl);
  const res = await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': clientKey } });
  t.equal(res.status, 200);
  const seen = up.lastRequest()!;
  t.ok(seen.headers.authorization === `Bearer ${tokens.issued[0]}`, 'the access token goes upstream as Bearer');

  const metrics = (await fetchText(`${proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /openai_proxy_credential_refreshes_total\{credential="upstream",result="success"\} 1/);
  const expiry = Number(/openai_proxy_credential_expiry_timestamp_seconds\{credential="upstream"\} (\S+)/.exec(metrics)?.[1]);
  t.ok(Math.abs(expiry - (Date.now() / 1000 + 3600)) < 60, 'expiry: about an hour from now (expires_in 3600)');
  t.equal(await proxy.stop(), 0);
});

async function waitReady(adminUrl: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await request(`${adminUrl}/readyz`)).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('never ready');
}
