// Whatever the token endpoint does wrong is a failed refresh with a reason in the log and a retry, never a crash
// or a credential made of garbage: an answer that is not JSON, lacks access_token, holds one that is no bearer
// token, a bad expires_in, a body too large to be a token, a reset, a hang (the first-byte timeout), a refusal
// whose description echoes the identity token (which is cut out of the log line).
import t from 'tap';
import { request } from '../helpers/http';
import { startKeyless } from '../helpers/keyless';
import type { TokenAnswer } from '../helpers/fake-token-endpoint';

const ok200 = (body: string): TokenAnswer => ({ garbage: { status: 200, body } });
const FAULTS: Array<[string, TokenAnswer, string]> = [
  ['not JSON', ok200('<html>maintenance</html>'), 'malformed'],
  ['no access_token', ok200('{"token_type":"Bearer","expires_in":3600}'), 'malformed'],
  ['an access_token that is no bearer token', ok200('{"access_token":"abc def\\r\\nx-injected: 1"}'), 'malformed'],
  ['a negative expires_in', ok200('{"access_token":"at-fake-negative-0123456789","expires_in":-5}'), 'malformed'],
  ['a body too large to be a token', ok200(`{"access_token":"${'a'.repeat(100_000)}"}`), 'malformed'],
  ['a reset', { reset: true }, 'reset'],
  ['a hang', { hang: true }, 'timeout'],
];

for (const [name, fault, reason] of FAULTS) {
  t.test(`token endpoint: ${name}`, async (t) => {
    const k = await startKeyless(t, { answers: [fault], waitReady: false, env: { UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '500' } });
    const failed = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure');
    t.equal(failed.reason, reason, `reason ${reason}`);
    t.equal((await request(`${k.proxy.url}/v1/models`, { headers: k.auth })).status, 503, 'no credential: 503');
    await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'success', 10_000);
    t.equal((await request(`${k.proxy.url}/v1/models`, { headers: k.auth })).status, 200, 'the next good answer is used');
    t.equal(k.up.requests.length, 1, 'only the request made with a good credential went upstream');
    t.ok(
      k.up.requests.every((r) => r.headers.authorization === `Bearer ${k.tokens.issued[0]}`),
      'with the one token really issued',
    );
  });
}

t.test('token endpoint: a refusal whose description echoes the identity token', async (t) => {
  const echo = (subject: string): TokenAnswer[] => [
    {
      error: {
        status: 401,
        body: { error: 'invalid_client', error_description: `AADSTS700213: No matching federated identity record found for presented assertion ${subject}` },
      },
    },
  ];
  const k = await startKeyless(t, { answers: echo, waitReady: false });
  const failed = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure');
  t.match(failed, { reason: 'refused', status: 401, oauthError: 'invalid_client' });
  t.equal(failed.description, 'AADSTS700213: No matching federated identity record found for presented assertion <redacted>', 'the token is cut out');
  t.notOk(k.proxy.stdout.includes(k.subject), 'the identity token is nowhere in the logs');
});
