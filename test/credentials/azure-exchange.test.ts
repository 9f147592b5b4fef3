// Keyless Azure OpenAI, the way AKS workload identity does it: the projected token is the client assertion of
// Entra's client-credentials grant (form-encoded, at {authorityHost}/{tenantId}/oauth2/v2.0/token, the trailing
// slash AKS puts on AZURE_AUTHORITY_HOST not doubled), and the access token goes upstream as Bearer.
import t from 'tap';
import { request } from '../helpers/http';
import { startKeyless } from '../helpers/keyless';

t.test('azure: client assertion exchange, Bearer upstream', async (t) => {
  const k = await startKeyless(t, { provider: 'azure' });
  const [exchange] = k.tokens.exchanges;
  t.equal(exchange!.method, 'POST');
  t.equal(exchange!.url, '/66666666-7777-8888-9999-000000000000/oauth2/v2.0/token', 'one slash after the authority host');
  t.match(exchange!.contentType, /^application\/x-www-form-urlencoded/);
  t.same(exchange!.fields, {
    grant_type: 'client_credentials',
    client_id: '11111111-2222-3333-4444-555555555555',
    scope: 'https://cognitiveservices.azure.com/.default',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: k.subject,
  });
  const res = await request(`${k.proxy.url}/v1/models`, { headers: k.auth });
  t.equal(res.status, 200);
  t.ok(k.up.lastRequest()!.headers.authorization === `Bearer ${k.tokens.issued[0]}`, 'the Entra token goes upstream as Bearer');
  await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'success');
});

t.test('azure: the AZURE_* variables AKS sets count only with OPENAI_AUTH_PROVIDER=azure', async (t) => {
  // A static key beside the webhook's variables: they are ignored, not an error and not a second credential.
  const k = await startKeyless(t, {
    provider: 'azure',
    env: { OPENAI_AUTH_PROVIDER: undefined, OPENAI_API_KEY: 'sk-test-static-key-0123456789' },
    waitReady: true,
  });
  const res = await request(`${k.proxy.url}/v1/models`, { headers: k.auth });
  t.equal(res.status, 200);
  t.ok(k.up.lastRequest()!.headers.authorization === 'Bearer sk-test-static-key-0123456789', 'the static key is used');
  t.equal(k.tokens.exchanges.length, 0, 'no exchange');
});

t.test('azure: with OPENAI_AUTH_HEADER=api-key the Entra token still goes as Bearer, no api-key header', async (t) => {
  // api-key is how classic Azure endpoints take a static key; Entra access tokens are only ever accepted as Bearer.
  const k = await startKeyless(t, { provider: 'azure', env: { OPENAI_AUTH_HEADER: 'api-key' } });
  const res = await request(`${k.proxy.url}/v1/models`, { headers: { ...k.auth, 'api-key': k.clientKey } });
  t.equal(res.status, 200);
  const sent = k.up.lastRequest()!.headers;
  t.ok(sent.authorization === `Bearer ${k.tokens.issued[0]}`, 'the Entra token goes upstream as Bearer');
  t.equal(sent['api-key'], undefined, 'no api-key header upstream, not even the client one');
});
