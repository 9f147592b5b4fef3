// The config file form, per tenant: `upstream.apiKey` and a client's `upstreamKey` may each be a
// `workloadIdentity`, so each tenant maps to its own OpenAI service account (its own project and bill). Each
// credential is exchanged, refreshed and counted on its own (`credential` label: `upstream` or the client's name).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { identityToken, startFakeTokenEndpoint } from '../helpers/fake-token-endpoint';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { fetchText, randomKey, startProxy } from '../helpers/proxy';
import { metricValue, waitForStatus } from '../helpers/keyless';
import { tempDir, writeSecretDir } from '../helpers/tmp';

/** A token endpoint, an upstream, and a projected token file laid out the kubelet's way. */
async function setUp(t: Parameters<typeof tempDir>[0]) {
  const tokens = await startFakeTokenEndpoint({ t });
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  writeSecretDir(join(dir, 'identity'), { token: identityToken() }, 'v1');
  return { tokens, up, dir, tokenFile: join(dir, 'identity', 'token') };
}

t.test('per-client workload identities, each with its own service account', async (t) => {
  const { tokens, up, dir, tokenFile } = await setUp(t);
  const identity = (serviceAccountId: string) => ({
    workloadIdentity: { provider: 'openai', tokenFile, identityProviderId: 'wip_cluster', serviceAccountId, tokenUrl: tokens.tokenUrl },
  });
  const keys = { alice: randomKey('pk-alice'), bob: randomKey('pk-bob'), static: randomKey('sk-test-carol') };
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      upstream: { baseUrl: up.url, apiKey: identity('svcacct_shared') },
      clients: [
        { name: 'alice', key: { value: keys.alice }, upstreamKey: identity('svcacct_alice') },
        { name: 'bob', key: { value: keys.bob } },
        { name: 'carol', key: { env: 'CAROL_KEY' }, upstreamKey: { value: keys.static } },
      ],
    }),
  );
  const carolKey = randomKey('pk-carol');
  const proxy = await startProxy(t, { upstream: up, tokenEndpoint: tokens, env: { PROXY_CONFIG: config, CAROL_KEY: carolKey, OPENAI_BASE_URL: undefined } });
  await waitForStatus(`${proxy.adminUrl}/readyz`, 200);
  const bySa = new Map(tokens.exchanges.map((e) => [e.fields.service_account_id, e.issued]));
  t.same([...bySa.keys()].sort(), ['svcacct_alice', 'svcacct_shared'], 'one exchange per credential in use');

  const sent = async (key: string) => {
    t.equal((await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': key } })).status, 200);
    return up.lastRequest()!.headers.authorization;
  };
  t.ok((await sent(keys.alice)) === `Bearer ${bySa.get('svcacct_alice')}`, "alice: her own service account's token");
  t.ok((await sent(keys.bob)) === `Bearer ${bySa.get('svcacct_shared')}`, "bob: the default upstream's");
  t.ok((await sent(carolKey)) === `Bearer ${keys.static}`, 'carol: her static key, unaffected');

  const metrics = (await fetchText(`${proxy.adminUrl}/metrics`)).text;
  for (const credential of ['upstream', 'alice']) {
    t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential, result: 'success' }), 1, `${credential}: one refresh`);
    t.ok(metricValue(metrics, 'openai_proxy_credential_expiry_timestamp_seconds', { credential })! > Date.now() / 1000, `${credential}: expiry in the future`);
  }
  t.equal(
    metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'carol', result: 'success' }),
    undefined,
    'no credential series for a static key',
  );
});

t.test('an unused default workload identity is never exchanged', async (t) => {
  const { tokens, up, dir, tokenFile } = await setUp(t);
  const key = randomKey('pk-alice');
  const upstreamKey = randomKey('sk-test-alice');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      upstream: {
        baseUrl: up.url,
        apiKey: { workloadIdentity: { tokenFile, identityProviderId: 'wip_cluster', serviceAccountId: 'svcacct_unused', tokenUrl: tokens.tokenUrl } },
      },
      clients: [{ name: 'alice', key: { value: key }, upstreamKey: { value: upstreamKey } }],
    }),
  );
  const proxy = await startProxy(t, { upstream: up, tokenEndpoint: tokens, env: { PROXY_CONFIG: config, OPENAI_BASE_URL: undefined } });
  await waitForStatus(`${proxy.adminUrl}/readyz`, 200);
  t.equal((await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': key } })).status, 200);
  t.equal(tokens.exchanges.length, 0, 'every client has its own key: nothing to exchange');
});
