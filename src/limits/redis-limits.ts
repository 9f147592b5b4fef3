import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/client';
import type { RedisError } from '../redis/errors';
import { Batches } from './batches';
import { Calendar, type Windows } from './calendar';
import { Leases } from './leases';
import { MemoryLimits } from './memory';
import { Pending } from './pending';
import { CHECKED, type Plan, isBudget, toNano } from './plan';
import { RedisTicket, settle, type RedisSide } from './redis-ticket';
import { readSnapshot } from './redis-snapshot';
import type { StoreLink } from './store-link';
import {
  ADMITTED,
  UNAVAILABLE,
  type AdmitRequest,
  type Limits,
  type LimitsHooks,
  type LimitsLogger,
  type LimitsSnapshot,
  type StoreState,
  type Verdict,
} from './types';

export interface RedisLimitsOptions {
  plans: readonly Plan[];
  link: StoreLink;
  client: RedisClient;
  onStoreError: 'local' | 'deny';
  log: LimitsLogger;
  hooks: LimitsHooks;
  now: () => number;
  leaseMs: number;
  renewMs: number;
  maxPending?: number;
}

/**
 * Limits shared by every replica, counted in Redis: one script call admits (all of a client's limits at once),
 * one settles. While Redis is unreachable or slow, `local` decides with this replica's memory and keeps the
 * usage for Redis; `deny` refuses the clients that have limits. Clients without limits never reach Redis.
 */
export class RedisLimits implements Limits, RedisSide {
  readonly store = 'redis' as const;
  readonly link: StoreLink;
  readonly pending: Pending;
  readonly leases: Leases;
  readonly batches: Batches;
  readonly now: () => number;
  private readonly plans = new Map<string, Plan>();
  private readonly local: MemoryLimits;
  private readonly calendar = new Calendar();
  private readonly replica = randomBytes(4).toString('hex');
  private sequence = 0;

  constructor(private readonly options: RedisLimitsOptions) {
    this.now = options.now;
    this.link = options.link;
    for (const plan of options.plans) this.plans.set(plan.client, plan);
    this.batches = new Batches(this.link, this.now, options.leaseMs);
    const newId = () => `${this.replica}-${(++this.sequence).toString(36)}`;
    this.pending = new Pending(this.link, this.batches, newId, options.log, options.hooks, options.maxPending);
    this.local = new MemoryLimits(options.plans, this.now, (plan, windows, tokens, nano) => this.pending.usage(plan, windows, tokens, nano));
    this.leases = new Leases(this.link, this.now, options.leaseMs, options.renewMs, () => void this.pending.flush());
    this.link.onRecovered = () => void this.pending.flush();
  }

  state(): StoreState {
    if (this.link.available()) return 'connected';
    return this.options.onStoreError === 'deny' ? 'deny' : 'local';
  }

  has(client: string): boolean {
    return this.plans.has(client);
  }

  admit(client: string, request: AdmitRequest): Verdict | Promise<Verdict> {
    const plan = this.plans.get(client);
    // Nothing to count: a client whose only limit is concurrentStreams, on a request that does not stream.
    if (!plan || (plan.rpm === 0 && !plan.settles && !(request.stream && plan.streams > 0))) return ADMITTED;
    if (!this.link.available()) return this.fallback(client, request);
    const windows = this.calendar.at(this.now());
    const keys = plan.keysAt(windows);
    const id = `${this.replica}-${(++this.sequence).toString(36)}`;
    const tokens = request.reserve.tokens;
    const nano = toNano(request.reserve.usd);
    const stream = request.stream && plan.streams > 0;
    return new Promise<Verdict>((resolve) =>
      this.batches.admit(plan, windows, keys, {
        stream,
        tokens,
        nano,
        id,
        record: plan.settles,
        done: (limit, wait) => resolve(this.verdict(limit, wait, plan, windows, keys, id, tokens, nano, stream)),
        failed: (err: RedisError) => {
          if (err.kind === 'timeout' || err.kind === 'closed' || err.kind === 'protocol') this.refund(plan, windows, keys, id, tokens, nano, stream);
          resolve(this.fallback(client, request));
        },
      }),
    );
  }

  private verdict(
    limit: number,
    wait: number,
    plan: Plan,
    windows: Windows,
    keys: readonly string[],
    id: string,
    tokens: number,
    nano: number,
    stream: boolean,
  ): Verdict {
    if (limit !== 0) {
      const name = CHECKED[limit - 1] ?? 'requestsPerMinute';
      return { ok: false, limit: name, retryAfterSeconds: wait || 1, budget: isBudget(name) };
    }
    if (stream) this.leases.add(plan, id);
    return { ok: true, ticket: new RedisTicket(this, plan, windows, keys, id, plan.reserve(tokens, nano), stream) };
  }

  /**
   * The admission's reply was lost (timed out, or the connection closed): Redis may have run it. The refund
   * closes it if it did (a settlement `end` applies once) and does nothing if it did not; this request goes local.
   */
  private refund(plan: Plan, windows: Windows, keys: readonly string[], id: string, tokens: number, nano: number, stream: boolean): void {
    if (!plan.settles && !stream) return; // a request slot only: it refills within the minute
    const reserved = plan.reserve(tokens, nano);
    const change = reserved.map((n) => -n) as typeof reserved;
    settle(this, { plan, keys, windows, mode: 'end', id, change, lease: stream ? id : '' });
  }

  private fallback(client: string, request: AdmitRequest): Verdict {
    return this.options.onStoreError === 'deny' ? UNAVAILABLE : this.local.admit(client, request);
  }

  async snapshot(): Promise<LimitsSnapshot> {
    if (this.link.available()) {
      try {
        const clients = await readSnapshot(this.link, [...this.plans.values()], this.calendar.at(this.now()), this.now());
        this.link.succeeded();
        return { store: 'redis', state: 'connected', clients };
      } catch (err) {
        this.link.failed(err);
      }
    }
    return { store: 'redis', state: this.state(), clients: this.local.read() };
  }

  async close(): Promise<void> {
    this.leases.close();
    await this.pending.flush().catch(() => {});
    await this.options.client.close();
  }
}
