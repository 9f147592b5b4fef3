/**
 * A proxy that knows callers by their Kubernetes ServiceAccount, with everything around it real: a fake
 * OpenAI upstream, a JWKS server over TLS (test CA) that only answers the proxy's own API token, and a
 * config file naming them.
 *
 * Stable exports:
 *   startServiceAccountStack(t, opts?) -> Promise<ServiceAccountStack>
 *     opts.clients      the config's clients: list (default: team-a with serviceAccounts [team-a/chatbot,
 *                       team-b/*], and alice with a key, KEYS.alice)
 *     opts.jwks         'tls' (default: the JWKS server, with bearerTokenFile and caFile) or 'file'
 *     opts.documents    the key set served at start (default: the stack's RS256 key)
 *     opts.jwksStatus   the JWKS server answers every request with this status until `jwks.status` is reset
 *     opts.env          extra proxy env
 *     opts.waitReady    wait for /readyz 200 before returning (default true)
 *   ServiceAccountStack { proxy, upstream, jwks (JwksServer, or undefined for 'file'), jwksFile, dir, key
 *                       (SigningKey), keys ({ upstream, alice, apiToken }), mint(key?, claimOptions?) }
 *     mint               signs a token and adds it to the proxy's guarded secrets: a token the proxy was
 *                       handed must never appear upstream, in a log line or in /metrics
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream';
import { request } from './http';
import { CA_PEM, randomKey, startProxy, type RunningProxy } from './proxy';
import { jwksOf, serviceAccountToken, signingKey, TOKEN_AUDIENCE, TOKEN_ISSUER, type ClaimOptions, type SigningKey } from './service-accounts';
import { startJwksServer, type JwksServer } from './jwks-server';
import { tempDir } from './tmp';

export interface ServiceAccountStack {
  proxy: RunningProxy;
  upstream: FakeUpstream;
  jwks: JwksServer | undefined;
  jwksFile: string;
  dir: string;
  key: SigningKey;
  keys: { upstream: string; alice: string; apiToken: string };
  mint(key?: SigningKey, claims?: ClaimOptions): string;
}

export interface StackOptions {
  clients?: Record<string, unknown>[];
  jwks?: 'tls' | 'file';
  documents?: string;
  jwksStatus?: number;
  env?: Record<string, string | undefined>;
  waitReady?: boolean;
}

type TapLike = Parameters<typeof startProxy>[0];

export async function startServiceAccountStack(t: TapLike, opts: StackOptions = {}): Promise<ServiceAccountStack> {
  const dir = tempDir(t);
  const key = signingKey('RS256');
  const keys = { upstream: randomKey('sk-test-upstream'), alice: randomKey('wrapper-key-alice'), apiToken: randomKey('proxy-own-api-token') };
  const upstream = await startFakeUpstream({ t });
  const document = opts.documents ?? jwksOf(key);
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, document);
  writeFileSync(join(dir, 'token'), `${keys.apiToken}\n`);
  const jwks = opts.jwks === 'file' ? undefined : await startJwksServer({ t, document, bearer: keys.apiToken });
  if (jwks && opts.jwksStatus) jwks.status = opts.jwksStatus;
  const clients = opts.clients ?? [
    { name: 'team-a', serviceAccounts: ['team-a/chatbot', 'team-b/*'] },
    { name: 'alice', key: { value: keys.alice } },
  ];
  const config = {
    upstream: { baseUrl: upstream.url, apiKey: { value: keys.upstream } },
    kubernetes: {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      jwks: jwks ? { url: jwks.url, bearerTokenFile: join(dir, 'token'), caFile: CA_PEM } : { file: jwksFile },
    },
    clients,
  };
  writeFileSync(join(dir, 'config.yaml'), stringify(config));
  const proxy = await startProxy(t, { env: { PROXY_CONFIG: join(dir, 'config.yaml'), OPENAI_BASE_URL: undefined, ...opts.env } });
  if (opts.waitReady !== false) await waitReady(proxy);
  const mint = (signer = key, claims: ClaimOptions = {}) => {
    const token = serviceAccountToken(signer, claims);
    proxy.keys.client.push(token);
    return token;
  };
  return { proxy, upstream, jwks, jwksFile, dir, key, keys, mint };
}

/** Polls /readyz until 200: the first JWKS fetch runs right after start. */
export async function waitReady(proxy: RunningProxy, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await request(`${proxy.adminUrl}/readyz`)).status === 200) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the proxy never became ready');
}
