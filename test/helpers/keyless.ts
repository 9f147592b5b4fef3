/**
 * The usual keyless setup in one call: a fake token endpoint, a fake upstream, a projected token file laid out
 * the kubelet's way, and a single-tenant proxy that exchanges it (env form, OpenAI or Azure).
 *
 * Stable exports:
 *   startKeyless(t, opts?)      -> Promise<Keyless>
 *     opts.provider             'openai' (default) or 'azure'
 *     opts.env                  extra proxy settings (undefined removes one)
 *     opts.answers              TokenAnswers for the first exchanges (the start's first), or a function of the
 *                               identity token written to the file, for answers that echo it
 *     opts.waitReady            wait for /readyz 200 before returning (default true)
 *   Keyless                     { tokens, up, proxy, clientKey, auth, tokenDir, tokenFile, subject, rotateToken() }
 *     rotateToken()             writes a new identity token the kubelet's way (..data swap); returns it
 *   identityEnv(provider, tokenFile, tokens)  the env form's variables for that provider
 *   waitForStatus(url, status, timeoutMs?)    polls until `url` answers `status`
 *   metricValue(text, name, labels)           one sample of a /metrics text, or undefined
 */
import { join } from 'node:path';
import { startFakeTokenEndpoint, identityToken, type FakeTokenEndpoint, type TokenAnswer } from './fake-token-endpoint';
import { sleep, startFakeUpstream, type FakeUpstream } from './fake-upstream';
import { request } from './http';
import { randomKey, startProxy, type RunningProxy } from './proxy';
import { tempDir, writeSecretDir } from './tmp';

interface TapLike {
  teardown(fn: () => unknown): void;
  ok(value: unknown, message: string): unknown;
}

export type Provider = 'openai' | 'azure';

export interface Keyless {
  tokens: FakeTokenEndpoint;
  up: FakeUpstream;
  proxy: RunningProxy;
  clientKey: string;
  auth: Record<string, string>;
  tokenDir: string;
  tokenFile: string;
  subject: string;
  rotateToken(): string;
}

export interface KeylessOptions {
  provider?: Provider;
  env?: Record<string, string | undefined>;
  answers?: TokenAnswer[] | ((subject: string) => TokenAnswer[]);
  waitReady?: boolean;
}

export function identityEnv(provider: Provider, tokenFile: string, tokens: FakeTokenEndpoint): Record<string, string> {
  if (provider === 'openai') {
    return {
      OPENAI_IDENTITY_PROVIDER_ID: 'wip_test123',
      OPENAI_SERVICE_ACCOUNT_ID: 'svcacct_test456',
      OPENAI_IDENTITY_TOKEN_FILE: tokenFile,
      OPENAI_IDENTITY_TOKEN_URL: tokens.tokenUrl,
    };
  }
  return {
    OPENAI_AUTH_PROVIDER: 'azure',
    AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    AZURE_TENANT_ID: '66666666-7777-8888-9999-000000000000',
    AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    // As AKS's webhook sets it: with a trailing slash.
    AZURE_AUTHORITY_HOST: `${tokens.origin}/`,
  };
}

export async function startKeyless(t: TapLike, opts: KeylessOptions = {}): Promise<Keyless> {
  const tokens = await startFakeTokenEndpoint({ t });
  const up = await startFakeUpstream({ t });
  const tokenDir = join(tempDir(t), 'identity');
  const tokenFile = join(tokenDir, 'token');
  let version = 0;
  const rotateToken = () => {
    const token = identityToken();
    writeSecretDir(tokenDir, { token: `${token}\n` }, `v${++version}`);
    return token;
  };
  const subject = rotateToken();
  tokens.answers.push(...(typeof opts.answers === 'function' ? opts.answers(subject) : (opts.answers ?? [])));
  const clientKey = randomKey('pk-test-client');
  const env = { PROXY_X_API_KEY: clientKey, ...identityEnv(opts.provider ?? 'openai', tokenFile, tokens), ...opts.env };
  const proxy = await startProxy(t, { upstream: up, tokenEndpoint: tokens, env });
  if (opts.waitReady ?? true) await waitForStatus(`${proxy.adminUrl}/readyz`, 200);
  return { tokens, up, proxy, clientKey, auth: { 'x-api-key': clientKey }, tokenDir, tokenFile, subject, rotateToken };
}

export async function waitForStatus(url: string, status: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = (await request(url)).status;
    if (got === status) return;
    if (Date.now() > deadline) throw new Error(`${url} answered ${got}, not ${status}, for ${timeoutMs} ms`);
    await sleep(50);
  }
}

export function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const have = inside.split(',');
    if (wanted.every((w) => have.includes(w))) return Number(line.slice(line.indexOf('}') + 1).trim());
  }
  return undefined;
}
