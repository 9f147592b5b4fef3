/**
 * The claim rules a Kubernetes ServiceAccount token must meet, checked after its signature. Kubernetes' own
 * projected tokens carry `iss`, `aud` (a list), `exp`, `iat`, `nbf`, `sub` and a `kubernetes.io` object with
 * the namespace and ServiceAccount (plus pod, node and `warnafter`, which are not needed here).
 */
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from '../config/kubernetes';

/** Clocks of the cluster's nodes and of this Pod may disagree by this much. */
export const CLOCK_SKEW_SECONDS = 60;

export interface TokenRules {
  issuer: string;
  audience: string;
  /** The longest `exp - iat` accepted; the default above when not given. */
  maxTokenLifetimeSeconds?: number;
}

/** Who a verified token says the caller is. */
export interface ServiceAccountIdentity {
  namespace: string;
  name: string;
  /** `namespace/name`: the form the access log and `serviceAccounts:` use. */
  id: string;
  /** The token's `exp`, in seconds since the epoch. */
  expiresAt: number;
}

/** Why a token was refused: the access log's `reason`. Never anything taken from the token itself. */
export type TokenRejection =
  | 'token_malformed'
  | 'token_algorithm'
  | 'token_unknown_key'
  | 'token_signature'
  | 'token_issuer'
  | 'token_audience'
  | 'token_no_expiry'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_lifetime'
  | 'token_not_a_service_account';

export function checkClaims(claims: Record<string, unknown>, rules: TokenRules, nowSeconds: number): ServiceAccountIdentity | TokenRejection {
  if (claims.iss !== rules.issuer) return 'token_issuer';
  const aud = claims.aud;
  if (!(aud === rules.audience || (Array.isArray(aud) && aud.includes(rules.audience)))) return 'token_audience';
  const exp = claims.exp;
  if (!isNumericDate(exp)) return 'token_no_expiry';
  if (exp + CLOCK_SKEW_SECONDS <= nowSeconds) return 'token_expired';
  for (const notBefore of [claims.nbf, claims.iat]) {
    if (notBefore === undefined) continue;
    if (!isNumericDate(notBefore)) return 'token_malformed';
    if (notBefore - CLOCK_SKEW_SECONDS > nowSeconds) return 'token_not_yet_valid';
  }
  if (lifetimeTooLong(exp, claims.iat, rules.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, nowSeconds)) return 'token_lifetime';
  const k8s = claims['kubernetes.io'] as { namespace?: unknown; serviceaccount?: { name?: unknown } } | undefined;
  const namespace = k8s?.namespace;
  const name = k8s?.serviceaccount?.name;
  if (typeof namespace !== 'string' || typeof name !== 'string' || namespace === '' || name === '') return 'token_not_a_service_account';
  return { namespace, name, id: `${namespace}/${name}`, expiresAt: exp };
}

/**
 * `exp - iat` is the lifetime the issuer gave the token. Without `iat` the issue time is unknown, so the time it
 * still has (`exp - now`, with the clock skew in the caller's favour) is checked instead: a lower bound of its
 * lifetime, so a token refused by it is longer-lived for certain, and one accepted is usable for at most the limit.
 */
function lifetimeTooLong(exp: number, iat: unknown, maxSeconds: number, nowSeconds: number): boolean {
  if (isNumericDate(iat)) return exp - iat > maxSeconds;
  return exp - nowSeconds > maxSeconds + CLOCK_SKEW_SECONDS;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
