// A JWKS document becomes the set of keys that may sign tokens: RSA (RS256) and EC P-256 (ES256) keys with a
// kid; any other entry is left out and said why; a document without one usable key is an error.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { parseJwks } from '../../src/service-accounts/jwks';
import { jwksOf, signingKey } from '../helpers/service-accounts';

t.test("the API server's document (RSA keys, use sig, alg RS256) yields every key by kid", async (t) => {
  const a = signingKey('RS256');
  const b = signingKey('RS256');
  const c = signingKey('ES256');
  const parsed = parseJwks(jwksOf(a, b, c));
  if ('error' in parsed) throw new Error(parsed.error);
  t.same([...parsed.keys.keys()], [a.kid, b.kid, c.kid]);
  t.equal(parsed.keys.get(a.kid)!.alg, 'RS256');
  t.equal(parsed.keys.get(c.kid)!.alg, 'ES256');
  t.same(parsed.skipped, []);
});

t.test('entries that cannot sign a token this proxy accepts are left out, each with its reason', async (t) => {
  const good = signingKey('RS256');
  const p384 = { kid: 'p384', ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }) };
  const short = { kid: 'rsa1024', ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) };
  const entries = [
    good.jwk,
    { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
    p384,
    short,
    { ...signingKey('RS256').jwk, use: 'enc' },
    { ...signingKey('RS256').jwk, alg: 'PS256' },
    { ...signingKey('ES256').jwk, alg: 'RS256' },
    { ...signingKey('RS256').jwk, kid: undefined },
    { kty: 'EC', crv: 'P-256', kid: 'broken', x: 'AQAB', y: 'AQAB' },
    'not an object',
  ];
  const parsed = parseJwks(JSON.stringify({ keys: entries }));
  if ('error' in parsed) throw new Error(parsed.error);
  t.same([...parsed.keys.keys()], [good.kid], 'only the good key is kept');
  t.equal(parsed.skipped.length, entries.length - 1, 'every other entry is named');
  t.match(
    parsed.skipped.join('\n'),
    /oct.*\n.*P-384.*\n.*1024 bits.*\n.*use is enc.*\n.*alg PS256.*\n.*alg RS256.*\n.*no kid.*\n.*not a valid ES256 public key.*\n.*not an object/s,
  );
});

t.test('private members of a key are never imported', async (t) => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const parsed = parseJwks(JSON.stringify({ keys: [{ kid: 'k', use: 'sig', ...privateKey.export({ format: 'jwk' }) }] }));
  if ('error' in parsed) throw new Error(parsed.error);
  t.equal(parsed.keys.get('k')!.key.type, 'public', 'a JWK that carries d, p, q still becomes a public key');
});

t.test('two keys under one kid: neither is used', async (t) => {
  const a = signingKey('RS256');
  const b = { ...signingKey('RS256').jwk, kid: a.kid };
  const c = signingKey('RS256');
  const parsed = parseJwks(JSON.stringify({ keys: [a.jwk, b, c.jwk] }));
  if ('error' in parsed) throw new Error(parsed.error);
  t.same([...parsed.keys.keys()], [c.kid]);
  t.match(parsed.skipped[0], /repeats kid/);
});

t.test('a document that is not JSON, has no keys list, or no usable key is an error', async (t) => {
  t.match(parseJwks('<html>'), { error: /not JSON/ });
  t.match(parseJwks('{"items":[]}'), { error: /no "keys" list/ });
  t.match(parseJwks('null'), { error: /no "keys" list/ });
  t.match(parseJwks('{"keys":[]}'), { error: /no usable/ });
  t.match(parseJwks('{"keys":[{"kty":"oct","kid":"x","k":"c2VjcmV0"}]}'), { error: /no usable.*oct/ });
  t.match(parseJwks(' '.repeat(1024 * 1024 + 1)), { error: /larger than/ });
});
