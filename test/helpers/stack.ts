/**
 * The usual test setup in one call: a fake upstream plus a single-tenant proxy in front of it, with fresh
 * random keys.
 *
 * Stable exports:
 *   startSingleTenant(t, opts?) -> Promise<Stack>
 *     opts.env        extra proxy settings (undefined removes one)
 *     opts.upstream   FakeUpstreamOptions
 *     opts.tokenEndpoint  a FakeTokenEndpoint a keyless client exchanges with: its tokens are guarded too
 *   Stack             { up, proxy, upstreamKey, clientKey, keys, auth, sdk(extra?) }
 *     auth            headers carrying the client key as X-API-Key
 *     sdk()           an `openai` SDK client pointed at the proxy (apiKey = client key, no retries)
 *   noKeyLeak(t, stack, extraTexts?)   assertNoKeyLeak over the stack's keys
 */
import OpenAI, { type ClientOptions } from 'openai';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './fake-upstream';
import { assertNoKeyLeak, randomKey, startProxy, type ProxyOptions, type RunningProxy } from './proxy';

interface TapLike {
  teardown(fn: () => unknown): void;
  ok(value: unknown, message: string): unknown;
}

export interface Stack {
  up: FakeUpstream;
  proxy: RunningProxy;
  upstreamKey: string;
  clientKey: string;
  keys: string[];
  auth: Record<string, string>;
  sdk(extra?: Partial<ClientOptions>): OpenAI;
}

export interface StackOptions {
  env?: Record<string, string | undefined>;
  upstream?: FakeUpstreamOptions;
  tokenEndpoint?: ProxyOptions['tokenEndpoint'];
}

export async function startSingleTenant(t: TapLike, opts: StackOptions = {}): Promise<Stack> {
  const upstreamKey = randomKey('sk-test-upstream');
  const clientKey = randomKey('pk-test-client');
  const up = await startFakeUpstream({ ...opts.upstream, t });
  const env = { OPENAI_API_KEY: upstreamKey, PROXY_X_API_KEY: clientKey, ...opts.env };
  const proxy = await startProxy(t, { upstream: up, env, ...(opts.tokenEndpoint ? { tokenEndpoint: opts.tokenEndpoint } : {}) });
  return {
    up,
    proxy,
    upstreamKey,
    clientKey,
    keys: [upstreamKey, clientKey],
    auth: { 'x-api-key': clientKey },
    sdk: (extra = {}) => new OpenAI({ apiKey: clientKey, baseURL: `${proxy.url}/v1`, maxRetries: 0, timeout: 30_000, ...extra }),
  };
}

export function noKeyLeak(t: TapLike, stack: Stack, extraTexts: string[] = []): Promise<void> {
  return assertNoKeyLeak(t, stack.proxy, stack.keys, extraTexts);
}
