/**
 * Kubernetes ServiceAccount tokens for tests, made the way the kube-apiserver makes them: signing keys
 * generated here (RSA 2048 for RS256, P-256 for ES256), `kid` = base64url(SHA-256(DER public key)) as the
 * API server derives it, and the full claim layout of a projected token.
 *
 * Stable exports:
 *   signingKey(alg = 'RS256')     -> SigningKey { kid, alg, privateKey, publicKey, jwk }; jwk is the public JWK
 *                                    as the API server's /openid/v1/jwks lists it ({use, kty, kid, alg, n, e | crv, x, y})
 *   jwksOf(...keys)               -> the JWKS document's text
 *   TOKEN_ISSUER, TOKEN_AUDIENCE  the issuer and audience the helpers use unless told otherwise
 *   serviceAccountClaims(opts?)   -> the claims of a projected token for opts.namespace/opts.serviceAccount
 *                                    (default team-a/chatbot), audience opts.audience (string or list, default
 *                                    [TOKEN_AUDIENCE]), issued opts.issuedAt (s, default now), valid
 *                                    opts.expiresIn seconds (default 600); pod, node, uids, jti, warnafter filled in
 *   signToken(key, claims, header?) -> compact JWS; header defaults to { alg: key.alg, kid: key.kid }
 *   encodeJws(header, claims, signature) -> compact JWS from parts (for tokens no real signer would make)
 *   serviceAccountToken(key, opts?) -> signToken(key, serviceAccountClaims(opts))
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

export type Alg = 'RS256' | 'ES256';

export interface SigningKey {
  kid: string;
  alg: Alg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: Record<string, unknown>;
}

export const TOKEN_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const TOKEN_AUDIENCE = 'openai-proxy';

export function signingKey(alg: Alg = 'RS256'): SigningKey {
  const { privateKey, publicKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('base64url');
  const jwk = { use: 'sig', kid, alg, ...publicKey.export({ format: 'jwk' }) };
  return { kid, alg, privateKey, publicKey, jwk };
}

export function jwksOf(...keys: SigningKey[]): string {
  return JSON.stringify({ keys: keys.map((k) => k.jwk) });
}

export interface ClaimOptions {
  namespace?: string;
  serviceAccount?: string;
  audience?: string | string[];
  issuer?: string;
  issuedAt?: number;
  expiresIn?: number;
}

export function serviceAccountClaims(opts: ClaimOptions = {}): Record<string, any> {
  const namespace = opts.namespace ?? 'team-a';
  const name = opts.serviceAccount ?? 'chatbot';
  const iat = opts.issuedAt ?? Math.floor(Date.now() / 1000);
  const exp = iat + (opts.expiresIn ?? 600);
  return {
    aud: opts.audience ?? [TOKEN_AUDIENCE],
    exp,
    iat,
    iss: opts.issuer ?? TOKEN_ISSUER,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace,
      node: { name: 'node-1', uid: randomUUID() },
      pod: { name: `${name}-7d9f8c6b5-x2k4p`, uid: randomUUID() },
      serviceaccount: { name, uid: randomUUID() },
      warnafter: iat + Math.floor((exp - iat) * 0.8),
    },
    nbf: iat,
    sub: `system:serviceaccount:${namespace}:${name}`,
  };
}

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function encodeJws(header: Record<string, unknown>, claims: Record<string, unknown>, signature: Buffer): string {
  return `${part(header)}.${part(claims)}.${signature.toString('base64url')}`;
}

export function signToken(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = { alg: key.alg, kid: key.kid }): string {
  const input = `${part(header)}.${part(claims)}`;
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

export function serviceAccountToken(key: SigningKey, opts: ClaimOptions = {}): string {
  return signToken(key, serviceAccountClaims(opts));
}
