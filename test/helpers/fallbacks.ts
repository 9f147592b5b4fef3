/**
 * A proxy with a fallback chain: two fake upstreams (`primary`, then `paygo`), each with its own key, configured
 * as the README shows (a config file's upstream.fallbacks).
 *
 * Stable exports:
 *   startChain(t, opts?) -> Promise<Chain>
 *     opts.yaml         extra YAML under `upstream:` (indented two spaces), e.g. '  fallbackOn: [429]\n'
 *     opts.clients      the config file's `clients:` YAML (default: none; PROXY_X_API_KEY is the client)
 *     opts.env          extra proxy settings
 *     opts.fallbackUrl  the fallback's base URL instead of the second fake (an unreachable one, say)
 *   Chain               { primary, paygo (FakeUpstreams), proxy, clientKey, primaryKey, paygoKey, auth, dir }
 *   post(chain, path?, body?) -> Promise<HttpResult>   a chat POST with the client key
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream';
import { request, type HttpResult } from './http';
import { randomKey, startProxy, type RunningProxy } from './proxy';
import { tempDir } from './tmp';

interface TapLike {
  teardown(fn: () => unknown): void;
  ok(value: unknown, message: string): unknown;
}

export interface Chain {
  primary: FakeUpstream;
  paygo: FakeUpstream;
  proxy: RunningProxy;
  clientKey: string;
  primaryKey: string;
  paygoKey: string;
  auth: Record<string, string>;
  dir: string;
}

export interface ChainOptions {
  yaml?: string;
  clients?: string;
  env?: Record<string, string | undefined>;
  fallbackUrl?: string;
  secrets?: string[];
}

export async function startChain(t: TapLike, opts: ChainOptions = {}): Promise<Chain> {
  const dir = tempDir(t);
  const primary = await startFakeUpstream({ t });
  const paygo = await startFakeUpstream({ t });
  const primaryKey = randomKey('sk-test-primary');
  const paygoKey = randomKey('sk-test-paygo');
  const clientKey = randomKey('pk-test-client');
  writeFileSync(join(dir, 'paygo-key'), `${paygoKey}\n`);
  const config = [
    'upstream:',
    '  name: ptu',
    '  fallbacks:',
    '    - name: paygo',
    `      baseUrl: ${opts.fallbackUrl ?? paygo.url}`,
    `      apiKey: { file: ${join(dir, 'paygo-key')} }`,
    opts.yaml ?? '',
    opts.clients ?? '',
  ].join('\n');
  writeFileSync(join(dir, 'proxy.yaml'), config);
  paygo.watchKeys([primaryKey, clientKey]);
  const env = { PROXY_CONFIG: join(dir, 'proxy.yaml'), OPENAI_API_KEY: primaryKey, PROXY_X_API_KEY: clientKey, ...opts.env };
  const proxy = await startProxy(t, { upstream: primary, env, secrets: [paygoKey, ...(opts.secrets ?? [])] });
  return { primary, paygo, proxy, clientKey, primaryKey, paygoKey, auth: { 'x-api-key': clientKey }, dir };
}

export function post(chain: Chain, path = '/v1/chat/completions', body = '{"model":"gpt-4.1-mini","messages":[]}'): Promise<HttpResult> {
  return request(`${chain.proxy.url}${path}`, { method: 'POST', headers: { ...chain.auth, 'content-type': 'application/json' }, body });
}
