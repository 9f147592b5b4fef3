// Signatures: RS256 and ES256 verify; `none`, the HMACs and other algorithms never do, and a key only checks
// the algorithm its own type fits, whatever the token's header claims (algorithm confusion).
import t from 'tap';
import { createHmac, sign } from 'node:crypto';
import { headerAlgorithm, importJwk, verifySignature, type VerificationKey } from '../../src/service-accounts/signatures';
import { looksLikeJws, parseCompactJws } from '../../src/jwt/jws';
import { encodeJws, serviceAccountClaims, signToken, signingKey, type SigningKey } from '../helpers/service-accounts';

const rsa = signingKey('RS256');
const ec = signingKey('ES256');
const asKey = (k: SigningKey): VerificationKey => importJwk(k.jwk) as VerificationKey;
const claims = serviceAccountClaims();

function verifies(token: string, key: SigningKey): boolean {
  const jws = parseCompactJws(token);
  return jws !== undefined && verifySignature(jws, asKey(key));
}

t.test('RS256 and ES256 tokens verify with their own key', async (t) => {
  t.ok(verifies(signToken(rsa, claims), rsa), 'RS256');
  t.ok(verifies(signToken(ec, claims), ec), 'ES256 (raw r||s signature)');
  t.notOk(verifies(signToken(rsa, claims), signingKey('RS256')), 'RS256 with another RSA key: refused');
  t.notOk(verifies(signToken(ec, claims), signingKey('ES256')), 'ES256 with another EC key: refused');
});

t.test('a changed payload or header breaks the signature', async (t) => {
  const [h, , s] = signToken(rsa, claims).split('.');
  const forged = Buffer.from(JSON.stringify({ ...claims, 'kubernetes.io': { ...claims['kubernetes.io'], namespace: 'kube-system' } })).toString('base64url');
  t.notOk(verifies(`${h}.${forged}.${s}`, rsa), 'payload swapped under the same signature');
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: rsa.kid, typ: 'JWT' })).toString('base64url');
  const [, p] = signToken(rsa, claims).split('.');
  t.notOk(verifies(`${header}.${p}.${s}`, rsa), 'header changed under the same signature');
});

t.test('alg none is refused, with or without a signature', async (t) => {
  for (const alg of ['none', 'None', 'NONE']) {
    const token = encodeJws({ alg, kid: rsa.kid }, claims, Buffer.alloc(0)).replace(/\.$/, '.');
    t.equal(parseCompactJws(token), undefined, `${alg} with an empty signature is not even a JWS here`);
    const signed = parseCompactJws(encodeJws({ alg, kid: rsa.kid }, claims, Buffer.from('x')))!;
    t.equal(headerAlgorithm(signed), undefined, `${alg} is not an algorithm this proxy verifies`);
    t.notOk(verifySignature(signed, asKey(rsa)), `${alg} never verifies`);
  }
});

t.test('HMAC tokens are refused, even keyed with the public key (the classic confusion attack)', async (t) => {
  const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' });
  for (const [alg, hash] of [
    ['HS256', 'sha256'],
    ['HS384', 'sha384'],
    ['HS512', 'sha512'],
  ] as const) {
    const input = `${Buffer.from(JSON.stringify({ alg, kid: rsa.kid })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const token = `${input}.${createHmac(hash, pem).update(input).digest('base64url')}`;
    t.notOk(verifies(token, rsa), alg);
  }
});

t.test('a header naming the other algorithm never gets its signature read that way', async (t) => {
  // An ES256 header over an RSA key (and the reverse): the key's type decides, so these cannot verify.
  t.notOk(verifies(signToken(rsa, claims, { alg: 'ES256', kid: rsa.kid }), rsa), 'ES256 header, RSA key');
  t.notOk(verifies(signToken(ec, claims, { alg: 'RS256', kid: ec.kid }), ec), 'RS256 header, EC key');
  for (const alg of ['PS256', 'RS384', 'RS512', 'ES384', 'EdDSA']) {
    t.notOk(verifies(signToken(rsa, claims, { alg, kid: rsa.kid }), rsa), `${alg} is not accepted`);
  }
});

t.test('an ES256 signature in DER form (not raw r||s) is refused', async (t) => {
  const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', kid: ec.kid })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const der = sign('sha256', Buffer.from(input), ec.privateKey);
  t.notOk(verifies(`${input}.${der.toString('base64url')}`, ec));
});

t.test('input that is not a compact JWS is refused without decoding it', async (t) => {
  const good = signToken(rsa, claims);
  const bad = [
    '',
    'not-a-token',
    good.split('.').slice(0, 2).join('.'),
    `${good}.extra`,
    good.replace(/^eyJ/, 'e=J'),
    `${Buffer.from('[1,2]').toString('base64url')}.${good.split('.')[1]}.${good.split('.')[2]}`,
    `${Buffer.from('{"alg":').toString('base64url')}.${good.split('.')[1]}.${good.split('.')[2]}`,
    `${good.split('.')[0]}.${Buffer.from('"a string"').toString('base64url')}.${good.split('.')[2]}`,
    `${good}${'A'.repeat(16 * 1024)}`,
  ];
  for (const token of bad) t.equal(parseCompactJws(token), undefined, JSON.stringify(token.slice(0, 40)));
  t.ok(looksLikeJws(good), 'a real token looks like one');
  t.notOk(looksLikeJws('sk-proxy-key-0123456789'), 'a proxy key does not');
});

t.test('looksLikeJws: three non-empty parts, a JSON header, nothing more', async (t) => {
  const [h, p, s] = signToken(rsa, claims).split('.');
  t.ok(looksLikeJws(`${h}.${p}.${s}`));
  for (const token of [`${h}.${p}`, `${h}.${p}.`, `${h}..${s}`, `.${p}.${s}`, `${h}.${p}.${s}.x`, `x${h}.${p}.${s}`, `${h}.${p}.${'A'.repeat(16 * 1024)}`]) {
    t.notOk(looksLikeJws(token), token.length > 60 ? `${token.slice(0, 30)}... (${token.length})` : token);
  }
});
