// The cluster rotates its ServiceAccount signing key: the new key appears in the JWKS beside the old one, and
// the first token signed by it makes the proxy fetch the set again and accepts it on that same request. Tokens
// of the old key keep working while it is still listed.
import t from 'tap';
import { request } from '../helpers/http';
import { startServiceAccountStack } from '../helpers/service-account-stack';
import { jwksOf, signingKey } from '../helpers/service-accounts';

t.test('a token of a newly added key is accepted at its first request', async (t) => {
  const s = await startServiceAccountStack(t);
  const call = (token: string) => request(`${s.proxy.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  t.equal((await call(s.mint())).status, 200, 'a token of the first key');
  t.equal(s.jwks!.requests.length, 1);

  const next = signingKey('ES256');
  s.jwks!.document = jwksOf(s.key, next);
  const res = await call(s.mint(next, { serviceAccount: 'chatbot' }));
  t.equal(res.status, 200, 'a token of the new (ES256) key, at its first request');
  t.equal(s.jwks!.requests.length, 2, 'which fetched the set once more');
  t.equal((await call(s.mint(next))).status, 200, 'and the next one needs no fetch');
  t.equal((await call(s.mint())).status, 200, 'the old key still works during the overlap');
  t.equal(s.jwks!.requests.length, 2);

  const log = await s.proxy.waitForLog((l) => l.event === 'jwks_refresh' && l.trigger === 'unknown_kid');
  t.same(log.kids, [s.key.kid, next.kid], 'the new set is logged with its kids');
  t.equal(s.upstream.requests.length, 4, 'every accepted request went upstream');
});
