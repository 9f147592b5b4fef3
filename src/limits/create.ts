import { readFileSync } from 'node:fs';
import type { Env, SecretRef } from '../config/types';
import type { ClientLimits, LimitsConfig } from '../config/limits';
import { describeRef, resolveKeys } from '../keys/secrets';
import { RedisClient } from '../redis/client';
import { RedisError } from '../redis/errors';
import { MemoryLimits } from './memory';
import { Plan } from './plan';
import { RedisLimits } from './redis-limits';
import { StoreLink } from './store-link';
import type { Limits, LimitsHooks, LimitsLogger } from './types';

export interface CreateLimitsOptions {
  config: LimitsConfig;
  /** Every client; those without limits are admitted at once and never reach the store. */
  clients: Iterable<{ name: string; limits?: ClientLimits }>;
  /** For `{ env }` references (default process.env). */
  env?: Env;
  log: LimitsLogger;
  hooks?: LimitsHooks;
  /** The clock of the limits' buckets and windows (default Date.now); passed into the scripts. */
  now?: () => number;
  /** How long a stream's lease lasts without renewal, and how often leases are renewed (default 30 s, 10 s). */
  leaseMs?: number;
  renewMs?: number;
  /** Usage records kept while Redis is unreachable (default 100,000). */
  maxPending?: number;
}

/**
 * The limits engine the config asks for: Redis, shared by every replica, when `limits.store.redis` is set, else
 * memory. Starts connecting and returns at once: Redis unreachable at start is a state (`local`/`deny`), not an error.
 */
export function createLimits(options: CreateLimitsOptions): Limits {
  const prefix = options.config.redis?.keyPrefix ?? '';
  const plans = [...options.clients].filter((c) => c.limits && Object.keys(c.limits).length > 0).map((c) => new Plan(c.name, c.limits!, prefix));
  const now = options.now ?? Date.now;
  const store = options.config.redis;
  if (!store) return new MemoryLimits(plans, now);
  const hooks = options.hooks ?? {};
  const link = new StoreLink(store.display, options.log, hooks);
  link.start();
  const env = options.env ?? process.env;
  const client = new RedisClient({
    url: () => readSecret(store.url, 'URL', env) ?? '',
    username: store.username && (() => readSecret(store.username!, 'user name', env)),
    password: store.password && (() => readSecret(store.password!, 'password', env)),
    caFile: store.caFile,
    timeoutMs: store.timeoutMs,
    hooks: { connected: link.connected, disconnected: link.disconnected },
  });
  link.client = client;
  return new RedisLimits({
    plans,
    link,
    client,
    onStoreError: options.config.onStoreError,
    log: options.log,
    hooks,
    now,
    leaseMs: options.leaseMs ?? 30_000,
    renewMs: options.renewMs ?? 10_000,
    maxPending: options.maxPending,
  });
}

/** Read at each connect, a file afresh, so a rotated Secret is used at the next reconnect. */
function readSecret(ref: SecretRef, what: string, env: Env): string | undefined {
  let files = new Map<string, string>();
  if (ref.kind === 'file') {
    try {
      files = new Map([[ref.path, readFileSync(ref.path, 'utf8')]]);
    } catch (err) {
      throw new RedisError('connect', `cannot read the Redis ${what} from ${describeRef(ref)}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
  const value = resolveKeys(ref, env, files)[0];
  if (value === undefined && what === 'URL') throw new RedisError('connect', `the Redis URL in ${describeRef(ref)} is empty`);
  return value;
}
