// The verifier as a whole: signature by a key of the JWKS with the token's kid, then the claims; a cached
// verdict by digest; a kid not in the set fetches the set again (at most every 30 s) and waits for it; and no
// key set yet is "unavailable", not a refusal.
import t, { type Test } from 'tap';
import { JwksKeeper, JWKS_SCHEDULE } from '../../src/service-accounts/jwks-keeper';
import { ServiceAccountTokens } from '../../src/service-accounts/service-account-tokens';
import { TokenCache } from '../../src/service-accounts/token-cache';
import { digestOf } from '../../src/keys/key-table';
import { createLogger } from '../../src/observability/log';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, encodeJws, jwksOf, serviceAccountClaims, serviceAccountToken, signToken, signingKey } from '../helpers/service-accounts';

const rsa = signingKey('RS256');
const ec = signingKey('ES256');
const rules = { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE };

function setup(t: Test, documents: string[]) {
  let clock = Date.now();
  const loads: number[] = [];
  const keeper = new JwksKeeper({
    load: async () => {
      loads.push(clock);
      const doc = documents[Math.min(loads.length - 1, documents.length - 1)]!;
      if (doc === 'fail') throw new Error('connect ECONNREFUSED');
      return doc;
    },
    log: createLogger('error', () => {}),
    onRefresh: () => {},
    onChange: () => cache.clear(),
    now: () => clock,
  });
  const cache = new TokenCache<any>();
  const tokens = new ServiceAccountTokens(rules, keeper, cache, () => clock);
  t.teardown(() => keeper.close());
  const verify = (token: string) => Promise.resolve(tokens.verify(token, digestOf(token)));
  return { keeper, tokens, cache, loads, verify, advance: (ms: number) => (clock += ms) };
}

t.test('RS256 and ES256 tokens from a key of the set are accepted; the verdict is then cached', async (t) => {
  const { keeper, verify, cache } = setup(t, [jwksOf(rsa, ec)]);
  keeper.start();
  await keeper.refreshForUnknownKey();
  for (const key of [rsa, ec]) {
    const token = serviceAccountToken(key, { namespace: 'team-b', serviceAccount: 'batch' });
    const verdict = await verify(token);
    t.match(verdict, { identity: { namespace: 'team-b', name: 'batch', id: 'team-b/batch' } }, key.alg);
    const again = await verify(token);
    t.equal((again as any).identity, (verdict as any).identity, `${key.alg}: the second request is answered from the cache`);
  }
  t.equal(cache.size, 2);
});

t.test('each refusal says which rule the token broke; none is cached', async (t) => {
  const { keeper, verify, cache } = setup(t, [jwksOf(rsa, ec)]);
  keeper.start();
  await keeper.refreshForUnknownKey();
  const claims = serviceAccountClaims();
  const cases: Array<[string, string, string]> = [
    ['not a JWS', 'eyJhbGciOiJSUzI1NiJ9.e30', 'token_malformed'],
    ['alg none', encodeJws({ alg: 'none', kid: rsa.kid }, claims, Buffer.from('x')), 'token_algorithm'],
    ['HS256', encodeJws({ alg: 'HS256', kid: rsa.kid }, claims, Buffer.from('x')), 'token_algorithm'],
    ['ES256 header, kid of the RSA key', signToken(ec, claims, { alg: 'ES256', kid: rsa.kid }), 'token_algorithm'],
    ['RS256 header, kid of the EC key', signToken(rsa, claims, { alg: 'RS256', kid: ec.kid }), 'token_algorithm'],
    ['no kid', signToken(rsa, claims, { alg: 'RS256' }), 'token_unknown_key'],
    ['signed by another key under a known kid', signToken(signingKey('RS256'), claims, { alg: 'RS256', kid: rsa.kid }), 'token_signature'],
    ['another issuer', serviceAccountToken(rsa, { issuer: 'https://oidc.example.com' }), 'token_issuer'],
    ['another audience', serviceAccountToken(rsa, { audience: ['https://kubernetes.default.svc.cluster.local'] }), 'token_audience'],
    ['expired', serviceAccountToken(rsa, { issuedAt: Math.floor(Date.now() / 1000) - 1000, expiresIn: 600 }), 'token_expired'],
    ['issued in the future', serviceAccountToken(rsa, { issuedAt: Math.floor(Date.now() / 1000) + 600 }), 'token_not_yet_valid'],
    ['no exp', signToken(rsa, { ...claims, exp: undefined }), 'token_no_expiry'],
    ['no kubernetes.io', signToken(rsa, { ...claims, 'kubernetes.io': undefined }), 'token_not_a_service_account'],
  ];
  for (const [what, token, reason] of cases) t.same(await verify(token), { rejected: reason }, what);
  t.equal(cache.size, 0);
});

t.test('signing-key rotation: a token with a new kid fetches the set again and is accepted', async (t) => {
  const next = signingKey('RS256');
  const { keeper, verify, loads, cache, advance } = setup(t, [jwksOf(rsa), jwksOf(rsa, next), jwksOf(next)]);
  keeper.start();
  await keeper.refreshForUnknownKey();
  const old = serviceAccountToken(rsa);
  t.match(await verify(old), { identity: {} }, 'a token of the first key');
  t.equal(cache.size, 1);
  advance(JWKS_SCHEDULE.unknownKeyMs);
  t.match(await verify(serviceAccountToken(next)), { identity: {} }, 'the new key, fetched on demand');
  t.equal(loads.length, 2, 'one more fetch');
  t.equal(cache.size, 1, 'the set changed: earlier verdicts were dropped, the new one kept');
  t.match(await verify(old), { identity: {} }, 'the old key is still in the set during the overlap');
  advance(JWKS_SCHEDULE.unknownKeyMs);
  t.match(await verify(serviceAccountToken(signingKey('RS256'))), { rejected: 'token_unknown_key' }, 'an unknown kid fetched again');
  t.equal(loads.length, 3);
  t.match(await verify(old), { rejected: 'token_unknown_key' }, 'the old key has left the set: its cached verdicts went with it');
});

t.test('an unknown kid fetches the set at most once per 30 s; scheduled fetches do not count', async (t) => {
  const { keeper, verify, loads, advance } = setup(t, [jwksOf(rsa)]);
  keeper.start();
  await keeper.refreshForUnknownKey();
  const stranger = signingKey('ES256');
  t.equal(loads.length, 1, 'the fetch at start');
  t.match(await verify(serviceAccountToken(stranger)), { rejected: 'token_unknown_key' });
  t.equal(loads.length, 2, 'the first unknown kid fetches at once, right after the scheduled fetch');
  for (let i = 0; i < 5; i++) t.match(await verify(serviceAccountToken(stranger)), { rejected: 'token_unknown_key' });
  t.equal(loads.length, 2, 'no more within 30 s');
  advance(JWKS_SCHEDULE.unknownKeyMs - 1);
  await verify(serviceAccountToken(stranger));
  t.equal(loads.length, 2, 'still none at 29.999 s');
  advance(1);
  await Promise.all([verify(serviceAccountToken(stranger)), verify(serviceAccountToken(stranger))]);
  t.equal(loads.length, 3, 'one fetch at 30 s, shared by the requests that wait for it');
});

t.test('before the first good fetch, tokens are "unavailable"; the last good set outlives failed fetches', async (t) => {
  const { keeper, verify, loads, advance } = setup(t, ['fail', 'fail', jwksOf(rsa), 'fail', '{"keys":[]}']);
  const token = serviceAccountToken(rsa);
  keeper.start();
  await keeper.refreshForUnknownKey();
  t.notOk(keeper.ready(), 'the first fetch failed: not ready');
  t.same(await verify(token), { unavailable: true }, 'a token waits for a fetch, which fails too: it cannot be judged');
  t.same(await verify(token), { unavailable: true }, 'nor within 30 s, without another fetch');
  t.equal(loads.length, 2);
  advance(JWKS_SCHEDULE.unknownKeyMs);
  t.match(await verify(token), { identity: {} }, 'after 30 s a token waits for the next fetch, which succeeds');
  t.ok(keeper.ready());
  for (const failure of ['a refused connection', 'a document without usable keys']) {
    advance(JWKS_SCHEDULE.unknownKeyMs);
    t.match(await verify(serviceAccountToken(signingKey('RS256'))), { rejected: 'token_unknown_key' }, `${failure}: an unknown kid is still unknown`);
    t.match(await verify(serviceAccountToken(rsa)), { identity: {} }, `${failure}: the last good set still verifies`);
  }
  t.equal(loads.length, 5);
});
