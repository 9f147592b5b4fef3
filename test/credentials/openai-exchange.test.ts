// Keyless upstream through OpenAI workload identity federation, set up by the env form LiteLLM also reads:
// the projected token is exchanged (RFC 8693, exactly the fields OpenAI's SDK sends) for an access token, which
// goes upstream as `Authorization: Bearer`; the proxy is ready once it has one, and says so in its metrics.
import t from 'tap';
import OpenAI from 'openai';
import { fetchText } from '../helpers/proxy';
import { metricValue, startKeyless } from '../helpers/keyless';

t.test('openai: exchange, Bearer upstream, readiness, metrics, log line', async (t) => {
  const k = await startKeyless(t);
  const [exchange] = k.tokens.exchanges;
  t.equal(k.tokens.exchanges.length, 1, 'one exchange at start');
  t.equal(exchange!.method, 'POST');
  t.equal(exchange!.url, '/oauth/token');
  t.match(exchange!.contentType, /^application\/json/);
  t.same(
    exchange!.fields,
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      subject_token: k.subject,
      identity_provider_id: 'wip_test123',
      service_account_id: 'svcacct_test456',
    },
    'exactly the RFC 8693 fields, the token file trimmed',
  );
  const line = await k.proxy.waitForLog((l) => l.event === 'credential_refresh');
  t.match(line, { level: 'info', credential: 'upstream', result: 'success', trigger: 'start' });
  t.match(line.fingerprint, /^[0-9a-f]{8}$/, 'the access token is named by its fingerprint');

  const sdk = new OpenAI({ apiKey: k.clientKey, baseURL: `${k.proxy.url}/v1`, maxRetries: 0 });
  const reply = await sdk.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(reply.choices[0]!.message.content, 'Hello from the fake upstream.');
  const seen = k.up.lastRequest()!;
  t.ok(seen.headers.authorization === `Bearer ${k.tokens.issued[0]}`, 'the access token goes upstream as Bearer');
  t.equal(seen.headers['x-api-key'], undefined, 'the client key does not');

  const metrics = (await fetchText(`${k.proxy.adminUrl}/metrics`)).text;
  t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'upstream', result: 'success' }), 1);
  t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'upstream', result: 'failure' }), 0);
  const expiry = metricValue(metrics, 'openai_proxy_credential_expiry_timestamp_seconds', { credential: 'upstream' })!;
  t.ok(Math.abs(expiry - (Date.now() / 1000 + 3600)) < 60, 'expiry: about an hour from now (expires_in 3600)');
  t.equal(await k.proxy.stop(), 0);
});

t.test('openai: an answer without expires_in is taken to be valid for 3600 s', async (t) => {
  const k = await startKeyless(t, { answers: [{ token: { expiresIn: null } }] });
  const metrics = (await fetchText(`${k.proxy.adminUrl}/metrics`)).text;
  const expiry = metricValue(metrics, 'openai_proxy_credential_expiry_timestamp_seconds', { credential: 'upstream' })!;
  t.ok(Math.abs(expiry - (Date.now() / 1000 + 3600)) < 60, 'about an hour from now');
});
