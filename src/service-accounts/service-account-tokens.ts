import type { KubernetesConfig } from '../config/types';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { CLOCK_SKEW_SECONDS, checkClaims, type ServiceAccountIdentity, type TokenRejection, type TokenRules } from './claims';
import { fetchJwks } from './jwks-fetch';
import { JwksKeeper } from './jwks-keeper';
import { headerAlgorithm, verifySignature, type VerificationKey } from './signatures';
import { parseCompactJws, type CompactJws } from '../jwt/jws';
import { TokenCache } from './token-cache';

export type TokenVerdict =
  | { identity: ServiceAccountIdentity }
  | { rejected: TokenRejection }
  /** No key set has been fetched yet: the caller may be fine, the proxy cannot tell. */
  | { unavailable: true };

const UNAVAILABLE: TokenVerdict = { unavailable: true };
const refused = (rejected: TokenRejection): TokenVerdict => ({ rejected });

/**
 * Verifies Kubernetes ServiceAccount tokens: a cached verdict by digest first, else the signature against
 * the issuer's key set, then the claims. Only a token whose key is not in the set waits (for a fetch of the
 * set); every other answer is immediate.
 */
export class ServiceAccountTokens {
  constructor(
    private readonly rules: TokenRules,
    private readonly keeper: JwksKeeper,
    private readonly cache: TokenCache<ServiceAccountIdentity>,
    private readonly now: () => number = Date.now,
  ) {}

  ready(): boolean {
    return this.keeper.ready();
  }

  /** `digest`: the token's SHA-256 (hex), already computed by the key lookup. */
  verify(token: string, digest: string): TokenVerdict | Promise<TokenVerdict> {
    const nowMs = this.now();
    const cached = this.cache.get(digest, nowMs);
    if (cached !== undefined) return { identity: cached };
    const jws = parseCompactJws(token);
    if (!jws) return refused('token_malformed');
    if (!headerAlgorithm(jws)) return refused('token_algorithm');
    const kid = jws.header.kid;
    if (typeof kid !== 'string') return refused('token_unknown_key');
    const key = this.keeper.keys?.get(kid);
    if (key) return this.check(jws, key, digest, nowMs);
    const refresh = this.keeper.refreshForUnknownKey();
    if (!refresh) return this.keeper.keys ? refused('token_unknown_key') : UNAVAILABLE;
    return refresh.then(() => {
      const fetched = this.keeper.keys?.get(kid);
      if (fetched) return this.check(jws, fetched, digest, this.now());
      return this.keeper.keys ? refused('token_unknown_key') : UNAVAILABLE;
    });
  }

  private check(jws: CompactJws, key: VerificationKey, digest: string, nowMs: number): TokenVerdict {
    // The key decides the algorithm: an RS256 key never checks an ES256 header, or the reverse.
    if (headerAlgorithm(jws) !== key.alg) return refused('token_algorithm');
    if (!verifySignature(jws, key)) return refused('token_signature');
    const identity = checkClaims(jws.payload, this.rules, nowMs / 1000);
    if (typeof identity === 'string') return refused(identity);
    this.cache.set(digest, identity, (identity.expiresAt + CLOCK_SKEW_SECONDS) * 1000, nowMs);
    return { identity };
  }
}

/** The verifier for the configured issuer, its key set fetched from now on; `close` stops the fetching. */
export function startServiceAccountTokens(config: KubernetesConfig, log: Logger, metrics: Metrics): { tokens: ServiceAccountTokens; close(): void } {
  const cache = new TokenCache<ServiceAccountIdentity>();
  const keeper = new JwksKeeper({
    load: () => fetchJwks(config.jwks),
    log,
    onRefresh: (result) => metrics.jwksRefreshes.with(result).inc(),
    onChange: () => cache.clear(),
  });
  keeper.start();
  return { tokens: new ServiceAccountTokens(config, keeper, cache), close: () => keeper.close() };
}
