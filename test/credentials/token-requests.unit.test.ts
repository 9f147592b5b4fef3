import t from 'tap';
import type { WorkloadIdentity } from '../../src/config/types';
import { cleanDescription, ExchangeError } from '../../src/credentials/errors';
import { parseTokenAnswer, tokenRequest, tokenUrlOf } from '../../src/credentials/token-requests';

const openai: WorkloadIdentity = {
  provider: 'openai',
  tokenFileSetting: 'x',
  tokenFile: '/t',
  identityProviderId: 'wip_1',
  serviceAccountId: 'svcacct_2',
  tokenUrl: 'https://auth.openai.com/oauth/token',
};
const azure: WorkloadIdentity = {
  provider: 'azure',
  tokenFileSetting: 'x',
  tokenFile: '/t',
  tenantId: 'tid',
  clientId: 'cid',
  scope: 'https://cognitiveservices.azure.com/.default',
  authorityHost: 'https://login.microsoftonline.com',
};

t.test('openai: RFC 8693 token exchange as JSON', async (t) => {
  const req = tokenRequest(openai, 'eyJ.subject.sig');
  t.equal(req.url, 'https://auth.openai.com/oauth/token');
  t.equal(req.contentType, 'application/json');
  t.same(JSON.parse(req.body), {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    subject_token: 'eyJ.subject.sig',
    identity_provider_id: 'wip_1',
    service_account_id: 'svcacct_2',
  });
});

t.test('azure: client credentials with a JWT client assertion, form-encoded', async (t) => {
  const req = tokenRequest(azure, 'eyJ.subject.sig');
  t.equal(req.url, 'https://login.microsoftonline.com/tid/oauth2/v2.0/token');
  t.equal(tokenUrlOf({ ...azure, tenantId: 'contoso.onmicrosoft.com' }), 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
  t.equal(req.contentType, 'application/x-www-form-urlencoded');
  t.same(Object.fromEntries(new URLSearchParams(req.body)), {
    grant_type: 'client_credentials',
    client_id: 'cid',
    scope: 'https://cognitiveservices.azure.com/.default',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: 'eyJ.subject.sig',
  });
});

t.test('a good answer: the token and its lifetime, 3600 s when absent, seconds as a string accepted', async (t) => {
  t.same(parseTokenAnswer(200, '{"access_token":"at-1","expires_in":1800,"token_type":"Bearer"}', []), { accessToken: 'at-1', expiresInSeconds: 1800 });
  t.same(parseTokenAnswer(200, '{"access_token":"at-1"}', []), { accessToken: 'at-1', expiresInSeconds: 3600 });
  t.same(parseTokenAnswer(200, '{"access_token":"at-1","expires_in":"3599"}', []), { accessToken: 'at-1', expiresInSeconds: 3599 });
});

t.test('a malformed answer is a failed refresh, never a credential', async (t) => {
  const bad = [
    '',
    'null',
    '[]',
    '"at"',
    '{"access_token":""}',
    '{"access_token":"  "}',
    '{"access_token":42}',
    '{"access_token":"a b"}',
    '{"access_token":"a\\nb"}',
    '{"access_token":"é"}',
    '{"access_token":"at","expires_in":0}',
    '{"access_token":"at","expires_in":-1}',
    '{"access_token":"at","expires_in":"soon"}',
    '{"access_token":"at","expires_in":true}',
    `{"access_token":"${'a'.repeat(20000)}"}`,
  ];
  for (const text of bad) {
    t.throws(() => parseTokenAnswer(200, text, []), { name: 'ExchangeError', reason: 'malformed' }, text.slice(0, 40));
  }
});

t.test('a refusal keeps the OAuth error and a cleaned description', async (t) => {
  const subject = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
  try {
    parseTokenAnswer(400, JSON.stringify({ error: 'invalid_grant', error_description: `AADSTS70021: no match for ${subject}` }), [subject]);
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ExchangeError);
    t.match(err, { reason: 'refused', details: { status: 400, oauthError: 'invalid_grant', description: 'AADSTS70021: no match for <redacted>' } });
  }
  t.throws(() => parseTokenAnswer(503, '<html>down</html>', []), { name: 'ExchangeError', reason: 'server_error', details: { status: 503 } });
  t.throws(() => parseTokenAnswer(401, '{"error":{"code":"invalid_subject_token","message":"bad token"}}', []), {
    name: 'ExchangeError',
    reason: 'refused',
    details: { oauthError: 'invalid_subject_token', description: 'bad token' },
  });
  t.throws(
    () => parseTokenAnswer(400, '{"error":"has spaces and <html>"}', []),
    { name: 'ExchangeError', details: { oauthError: undefined } },
    'an error code that is not a code is left out',
  );
});

t.test('descriptions: secrets and JWT-shaped text cut out, control characters flattened, length bounded', async (t) => {
  t.equal(cleanDescription('bad token abc123secret here', ['abc123secret']), 'bad token <redacted> here');
  t.equal(cleanDescription('saw eyJhbGci.eyJzdWIi.sig_-x and more', []), 'saw <redacted> and more');
  t.equal(cleanDescription('line\r\nX-Injected: 1', []), 'line X-Injected: 1');
  t.equal(cleanDescription('x'.repeat(1000), [])!.length, 303);
  t.equal(cleanDescription(42, []), undefined);
});
