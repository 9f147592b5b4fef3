/**
 * Several proxy replicas (real `node dist/main.js` processes) on one config file and, with `redis`, one Redis:
 * what a Deployment with several Pods behind a Service is.
 *
 * Stable exports:
 *   startReplicas(t, opts) -> Promise<Replicas>
 *     opts.count        how many proxies (default 3)
 *     opts.clients      the config file's clients: YAML (keys come from env: ALICE_KEY, BOB_KEY)
 *     opts.limits       the config file's limits: YAML (without the store; it is added for `redis`)
 *     opts.redis        a RedisServer: limits.store.redis.url points at it (opts.redisUrl overrides)
 *     opts.env          extra settings for every replica
 *   Replicas            { up, proxies, keys: { upstream, alice, bob }, dir,
 *                         call(i, key, body?, path?) -> HttpResult  (a chat POST to replica i) }
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream';
import { request, type HttpResult } from './http';
import { randomKey, startProxy, type RunningProxy } from './proxy';
import type { RedisServer } from './redis-server';
import { tempDir } from './tmp';

interface TapLike {
  teardown(fn: () => unknown): void;
  ok(value: unknown, message: string): unknown;
}

export interface ReplicasOptions {
  count?: number;
  clients: string;
  limits?: string;
  redis?: RedisServer;
  redisUrl?: string;
  env?: Record<string, string | undefined>;
}

export interface Replicas {
  up: FakeUpstream;
  proxies: RunningProxy[];
  keys: { upstream: string; alice: string; bob: string };
  dir: string;
  call(i: number, key: string, body?: string, path?: string): Promise<HttpResult>;
}

export async function startReplicas(t: TapLike, opts: ReplicasOptions): Promise<Replicas> {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const keys = { upstream: randomKey('sk-test-up'), alice: randomKey('pk-test-alice'), bob: randomKey('pk-test-bob') };
  const url = opts.redisUrl ?? opts.redis?.url;
  const store = url ? `  store:\n    redis:\n      url: ${url}\n` : '';
  const limits = store || opts.limits ? `limits:\n${store}${opts.limits ?? ''}\n` : '';
  writeFileSync(join(dir, 'proxy.yaml'), `${limits}clients:\n${opts.clients}\n`);
  const env = { PROXY_CONFIG: join(dir, 'proxy.yaml'), OPENAI_API_KEY: keys.upstream, ALICE_KEY: keys.alice, BOB_KEY: keys.bob, ...opts.env };
  const proxies = await Promise.all(Array.from({ length: opts.count ?? 3 }, () => startProxy(t, { upstream: up, env })));
  const call = (i: number, key: string, body = '{"model":"gpt-4.1-mini","messages":[]}', path = '/v1/chat/completions') =>
    request(`${proxies[i]!.url}${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body });
  return { up, proxies, keys, dir, call };
}
