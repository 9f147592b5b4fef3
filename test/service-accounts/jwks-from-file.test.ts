// The key set from a file (an issuer whose JWKS is published elsewhere, or copied into a ConfigMap): read at
// start and at every fetch, so a key added to the file is found at its first token, as with the API server.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { request } from '../helpers/http';
import { startServiceAccountStack } from '../helpers/service-account-stack';
import { jwksOf, signingKey } from '../helpers/service-accounts';

t.test('a JWKS file, rotated in place', async (t) => {
  const s = await startServiceAccountStack(t, { jwks: 'file' });
  t.match(s.proxy.logs.find((l) => l.event === 'listening')!.serviceAccounts, { jwks: s.jwksFile });
  const call = (token: string) => request(`${s.proxy.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  t.equal((await call(s.mint())).status, 200, "a token of the file's key");

  const next = signingKey('ES256');
  writeFileSync(s.jwksFile, jwksOf(s.key, next));
  t.equal((await call(s.mint(next))).status, 200, 'a key added to the file: accepted at its first token');
  const log = await s.proxy.waitForLog((l) => l.event === 'jwks_refresh' && l.trigger === 'unknown_kid');
  t.same(log.kids, [s.key.kid, next.kid]);
  t.equal((await call(s.mint(signingKey('RS256')))).status, 401, 'a key in neither: refused');
  t.equal((await call(s.mint())).status, 200, 'the first key still works');
});
