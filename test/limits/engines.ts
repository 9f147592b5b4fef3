/**
 * Limits engines for tests: several "replicas" on one Redis, sharing an injected clock, their logs kept.
 *
 * Stable exports:
 *   startEngines(t, opts) -> { engines, clock, logs, hooks, admit(i, client, tokens?, usd?, stream?) }
 *     opts.url          the Redis URL (from startRedis)
 *     opts.clients      { name: limits } for every client with limits
 *     opts.count        how many engines (default 1)
 *     opts.store        more of limits.store.redis (username, password, caFile, timeoutMs, ...)
 *     opts.onStoreError local (default) or deny
 *     opts.leaseMs, opts.renewMs, opts.maxPending, opts.start (the clock's start, default 2026-12-06 12:00 UTC)
 *   clock.now           ms, move it to move every engine's time
 *   logs                every log line as { level, event, ...fields }
 *   hooks.events        storeUp / storeError / pendingDropped calls, as strings
 *   until(check, ms)    polls check() (sync or async) until true; false if not within ms
 *   ticketOf(verdict)   the ticket of an admitted verdict (throws otherwise)
 *   pendingOf(engine)   how many changes a Redis engine holds for the store (0 once all are sent)
 */
import type { ClientLimits } from '../../src/config/limits';
import type { SecretRef } from '../../src/config/types';
import { createLimits } from '../../src/limits/create';
import type { RedisLimits } from '../../src/limits/redis-limits';
import type { Limits, LimitsHooks, Ticket, Verdict } from '../../src/limits/types';

export interface EngineOptions {
  url: string;
  clients: Record<string, ClientLimits>;
  count?: number;
  store?: { username?: SecretRef; password?: SecretRef; caFile?: string; timeoutMs?: number; keyPrefix?: string };
  onStoreError?: 'local' | 'deny';
  leaseMs?: number;
  renewMs?: number;
  maxPending?: number;
  start?: number;
  env?: Record<string, string>;
}

export type LogLine = { level: string; event: string } & Record<string, unknown>;

export function startEngines(t: { teardown(fn: () => unknown): void }, opts: EngineOptions) {
  const clock = { now: opts.start ?? Date.UTC(2026, 11, 6, 12, 0, 0) };
  const logs: LogLine[] = [];
  const events: string[] = [];
  const hooks: LimitsHooks = {
    storeUp: (up) => events.push(`up:${up}`),
    storeError: (reason) => events.push(`error:${reason}`),
    pendingDropped: (n) => events.push(`dropped:${n}`),
  };
  const logger = (level: string) => (event: string, fields?: Record<string, unknown>) => logs.push({ level, event, ...fields });
  const log = { info: logger('info'), warn: logger('warn'), error: logger('error') };
  const engines: Limits[] = [];
  for (let i = 0; i < (opts.count ?? 1); i++) {
    const engine = createLimits({
      config: {
        redis: {
          url: { kind: 'value', value: opts.url },
          urlSetting: 'limits.store.redis.url',
          display: opts.url,
          keyPrefix: 'test:',
          timeoutMs: 1000,
          ...opts.store,
        },
        onStoreError: opts.onStoreError ?? 'local',
        prices: {},
        overridden: {},
      },
      clients: Object.entries(opts.clients).map(([name, limits]) => ({ name, limits })),
      env: opts.env ?? {},
      log,
      hooks,
      now: () => clock.now,
      leaseMs: opts.leaseMs,
      renewMs: opts.renewMs,
      maxPending: opts.maxPending,
    });
    t.teardown(() => engine.close());
    engines.push(engine);
  }
  const admit = (i: number, client: string, tokens = 0, usd = 0, stream = false) =>
    Promise.resolve(engines[i]!.admit(client, { stream, reserve: { tokens, usd } }));
  return { engines, clock, logs, hooks: { events }, admit };
}

export async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

export function ticketOf(verdict: Verdict): Ticket {
  if (!verdict.ok) throw new Error(`refused: ${JSON.stringify(verdict)}`);
  return verdict.ticket;
}

export function pendingOf(engine: Limits): number {
  return (engine as RedisLimits).pending.size;
}
