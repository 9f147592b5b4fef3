// The bench proxy's config files and ServiceAccount tokens: an RS256 signing key made here (as the API server's
// are), its JWKS as a file, tokens in the kube-apiserver's claim layout for ServiceAccounts of namespace
// bench, and config files with a client known by those ServiceAccounts (bench/*) and one known by a key,
// each with limits (set high enough never to refuse the bench, but checked on every request as a user's
// would be). The "proxy" row sends the key, the "proxy-sa-token" row a token, to the same process. wrk sends
// one token for the whole run, so after the first request it is answered from the verified-token cache: that
// row measures what a cached token costs over a key.
// Every file has what a deployment has on: stream usage at its default (auto), and, but for proxy-nofallback,
// a fallback upstream (paygo, a second fake upstream that the primary's answers never send anything to).
//   proxy               every feature, the limits counted in memory (each replica alone)
//   proxy-nofallback    the same without upstream.fallbacks
//   proxy-limits-redis  the same as proxy, the limits shared through limits.store.redis
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** Far above what the bench sends (about 1M requests a minute at most), so no request is refused. */
const LIMITS = '{ requestsPerMinute: 100000000, tokensPerMinute: 1000000000, concurrentStreams: 100000 }';

export function proxyConfigFiles(dir, { upstreamOrigin, fallbackOrigin, upstreamKey, fallbackKey, clientKey }) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('base64url');
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ use: 'sig', kid, alg: 'RS256', ...publicKey.export({ format: 'jwk' }) }] }));
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: ['openai-proxy'],
    exp: now + 86_400,
    iat: now,
    iss: ISSUER,
    jti: randomUUID(),
    nbf: now,
    sub: 'system:serviceaccount:bench:client',
    'kubernetes.io': {
      namespace: 'bench',
      serviceaccount: { name: 'client', uid: randomUUID() },
      pod: { name: 'client-0', uid: randomUUID() },
      node: { name: 'node-1', uid: randomUUID() },
    },
  };
  const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part({ alg: 'RS256', kid })}.${part(claims)}`;
  const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  const configText = ({ fallback, redis }) =>
    [
      ...(redis ? ['limits:', '  store:', '    redis:', `      url: ${redis}`] : []),
      'upstream:',
      `  baseUrl: ${upstreamOrigin}`,
      `  apiKey: { value: "${upstreamKey}" }`,
      ...(fallback ? ['  fallbacks:', '    - name: paygo', `      baseUrl: ${fallbackOrigin}`, `      apiKey: { value: "${fallbackKey}" }`] : []),
      'kubernetes:',
      `  issuer: ${ISSUER}`,
      '  audience: openai-proxy',
      `  jwks: { file: ${join(dir, 'jwks.json')} }`,
      'clients:',
      '  - name: bench-sa',
      '    serviceAccounts: [bench/*]',
      `    limits: ${LIMITS}`,
      '  - name: bench-key',
      `    key: { value: "${clientKey}" }`,
      `    limits: ${LIMITS}`,
      '',
    ].join('\n');
  const configFiles = {};
  const write = (name, options) => {
    configFiles[name] = join(dir, `${name}.yaml`);
    writeFileSync(configFiles[name], configText(options));
  };
  write('proxy', { fallback: true });
  write('proxy-nofallback', { fallback: false });
  /** Writes proxy-limits-redis.yaml, once the Redis it names is up. */
  const addRedis = (url) => write('proxy-limits-redis', { fallback: true, redis: url });
  const mint = (name) => {
    const input = `${part({ alg: 'RS256', kid })}.${part({ ...claims, jti: randomUUID(), sub: `system:serviceaccount:bench:${name}`, 'kubernetes.io': { ...claims['kubernetes.io'], serviceaccount: { name, uid: randomUUID() } } })}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  return { configFiles, configFile: configFiles.proxy, addRedis, token, mint };
}
