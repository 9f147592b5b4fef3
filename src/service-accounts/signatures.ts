import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { CompactJws } from '../jwt/jws';

/**
 * Signature checks for the two algorithms Kubernetes signs ServiceAccount
 * tokens with. Nothing else is accepted: `none` and the HMACs never verify, and a key only ever checks the
 * one algorithm its own type fits, so a token cannot pick how its signature is read (algorithm confusion).
 */
export type SigningAlgorithm = 'RS256' | 'ES256';

/** A JWKS entry, ready to check signatures: its `kid` and the one algorithm it verifies. */
export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  key: KeyObject;
}

/** The header's `alg` when it is one this proxy verifies, else undefined (`none`, HS256, PS256, ...). */
export function headerAlgorithm(jws: CompactJws): SigningAlgorithm | undefined {
  const alg = jws.header.alg;
  return alg === 'RS256' || alg === 'ES256' ? alg : undefined;
}

export function verifySignature(jws: CompactJws, key: VerificationKey): boolean {
  if (headerAlgorithm(jws) !== key.alg) return false;
  const data = Buffer.from(jws.signingInput);
  try {
    if (key.alg === 'ES256') {
      // A JWS carries ES256 signatures as raw r||s (32 bytes each), not DER.
      return jws.signature.length === 64 && verify('sha256', data, { key: key.key, dsaEncoding: 'ieee-p1363' }, jws.signature);
    }
    return verify('sha256', data, key.key, jws.signature);
  } catch {
    return false;
  }
}

/** RSA keys below this are refused: Kubernetes' own keys are 2048 bits or more. */
const MIN_RSA_BITS = 2048;

/**
 * A JWK as a verification key, or the reason it cannot be one. The algorithm comes from the key's type
 * (RSA -> RS256, EC P-256 -> ES256); a key whose own `alg` or `use` says otherwise is not used.
 */
export function importJwk(jwk: Record<string, unknown>): VerificationKey | { problem: string } {
  const kid = jwk.kid;
  if (typeof kid !== 'string' || kid === '') return { problem: 'has no kid' };
  const alg = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
  if (!alg) return { problem: `kty ${String(jwk.kty)}${jwk.crv ? ` ${String(jwk.crv)}` : ''} is neither RSA nor EC P-256` };
  if (jwk.alg !== undefined && jwk.alg !== alg) return { problem: `alg ${String(jwk.alg)} does not fit a ${alg} key` };
  if (jwk.use !== undefined && jwk.use !== 'sig') return { problem: `use is ${String(jwk.use)}, not sig` };
  let key: KeyObject;
  try {
    // Only the public members: a JWKS that (wrongly) carried private ones must not make this a private key.
    const { kty, n, e, crv, x, y } = jwk;
    key = createPublicKey({ key: { kty, n, e, crv, x, y } as JsonWebKey, format: 'jwk' });
  } catch (err) {
    return { problem: `is not a valid ${alg} public key (${(err as Error).message})` };
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (alg === 'RS256' && (bits === undefined || bits < MIN_RSA_BITS)) return { problem: `RSA key of ${bits ?? '?'} bits is too short` };
  return { kid, alg, key };
}
