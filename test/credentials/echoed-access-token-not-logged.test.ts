// Security review, info: a token endpoint that echoes the access token in use into an error body must not carry it
// into a log line. The refusal's description is logged (it explains why), with the token cut out, as the identity
// token always was.
import t from 'tap';
import { handlers, sendJson } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startKeyless } from '../helpers/keyless';

t.test('an access token echoed in a refusal is not logged', async (t) => {
  const k = await startKeyless(t);
  const inUse = k.tokens.issued[0]!;
  k.tokens.otherwise = { error: { status: 400, body: { error: 'invalid_grant', error_description: `token ${inUse} was revoked; ask again` } } };
  // A 401 from the upstream starts a refresh, which the endpoint refuses with that text.
  const defaults = handlers.defaults();
  k.up.handle = (req, res, rec) => (rec.url === '/v1/models/refused' ? sendJson(res, 401, { error: { message: 'no' } }) : defaults(req, res, rec));
  await request(`${k.proxy.url}/v1/models/refused`, { headers: k.auth });
  const failed = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure');
  t.match(failed, { oauthError: 'invalid_grant', description: 'token <redacted> was revoked; ask again' });
  t.notOk(k.proxy.stdout.includes(inUse), 'the access token is in no log line');
});
