// The verified-token cache stays within its entry bound under many distinct tokens, and never outlives a
// token's exp (plus the clock skew): bounded in entries and in time.
import t from 'tap';
import { TokenCache } from '../../src/service-accounts/token-cache';
import { JwksKeeper } from '../../src/service-accounts/jwks-keeper';
import { ServiceAccountTokens } from '../../src/service-accounts/service-account-tokens';
import type { ServiceAccountIdentity } from '../../src/service-accounts/claims';
import { digestOf } from '../../src/keys/key-table';
import { createLogger } from '../../src/observability/log';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, jwksOf, serviceAccountToken, signingKey } from '../helpers/service-accounts';

t.test('entries: full means expired ones go first, then the oldest; never more than maxEntries', async (t) => {
  const cache = new TokenCache<string>(3);
  cache.set('a', 'A', 10_000, 0);
  cache.set('b', 'B', 500, 0);
  cache.set('c', 'C', 10_000, 0);
  cache.set('d', 'D', 10_000, 1_000); // b has expired by now: it makes room, a stays
  t.same(
    ['a', 'b', 'c', 'd'].map((k) => cache.get(k, 1_000)),
    ['A', undefined, 'C', 'D'],
  );
  cache.set('e', 'E', 10_000, 1_000); // nothing expired: the oldest (a) goes
  t.same(
    ['a', 'c', 'd', 'e'].map((k) => cache.get(k, 1_000)),
    [undefined, 'C', 'D', 'E'],
  );
  t.equal(cache.size, 3);
  cache.set('c', 'C2', 10_000, 1_000); // replacing an entry needs no room
  t.same(
    ['c', 'd', 'e'].map((k) => cache.get(k, 1_000)),
    ['C2', 'D', 'E'],
  );
});

t.test('time: an entry is gone once its until has passed, and one already past is never stored', async (t) => {
  const cache = new TokenCache<string>(10);
  cache.set('a', 'A', 2_000, 0);
  t.equal(cache.get('a', 1_999), 'A');
  t.equal(cache.get('a', 2_000), undefined);
  t.equal(cache.size, 0, 'and it was dropped');
  cache.set('b', 'B', 1_000, 1_000);
  t.equal(cache.size, 0);
});

t.test('many distinct real tokens: the cache stays bounded and evicted tokens still verify', async (t) => {
  const key = signingKey('ES256');
  const keeper = new JwksKeeper({ load: async () => jwksOf(key), log: createLogger('error', () => {}), onRefresh: () => {}, onChange: () => {} });
  keeper.start();
  await keeper.refreshForUnknownKey();
  t.teardown(() => keeper.close());
  const max = 50;
  const cache = new TokenCache<ServiceAccountIdentity>(max);
  const tokens = new ServiceAccountTokens({ issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE }, keeper, cache);
  const minted = Array.from({ length: max * 4 }, (_, i) => serviceAccountToken(key, { serviceAccount: `sa-${i}`, expiresIn: 3600 }));
  let largest = 0;
  for (const token of minted) {
    const verdict = await tokens.verify(token, digestOf(token));
    if (!('identity' in verdict)) throw new Error(`refused: ${JSON.stringify(verdict)}`);
    largest = Math.max(largest, cache.size);
  }
  t.equal(largest, max, `never more than ${max} entries for ${minted.length} tokens`);
  const first = await tokens.verify(minted[0]!, digestOf(minted[0]!));
  t.match(first, { identity: { id: 'team-a/sa-0' } }, 'the first token, long evicted, verifies again from its signature');
  const last = minted[minted.length - 1]!;
  const again = await tokens.verify(last, digestOf(last));
  t.equal(cache.get(digestOf(last), Date.now()), 'identity' in again ? again.identity : 'none', 'a recent token is answered from the cache');
});
