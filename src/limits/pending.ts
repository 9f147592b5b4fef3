import type { Batches, SettleJob } from './batches';
import type { Windows } from './calendar';
import type { Charge, Plan } from './plan';
import type { StoreLink } from './store-link';
import type { LimitsHooks, LimitsLogger } from './types';

const BATCH = 500;

/**
 * What Redis has not taken yet: settlements that failed, refunds of admissions whose reply was lost, and the
 * usage of requests admitted locally (one record per client and window, added up). Oldest first; over the
 * bound the oldest are dropped and counted. Sent when Redis is back, in batches, pipelined.
 */
export class Pending {
  private readonly jobs = new Map<string, SettleJob>();
  private flushing: Promise<void> | undefined;
  private sending = 0;
  private droppedLoggedAt = -Infinity;

  constructor(
    private readonly link: StoreLink,
    private readonly batches: Batches,
    private readonly newId: () => string,
    private readonly log: LimitsLogger,
    private readonly hooks: LimitsHooks,
    private readonly max = 100_000,
  ) {}

  /** Changes Redis has not taken yet, those in flight included. */
  get size(): number {
    return this.jobs.size + this.sending;
  }

  settle(job: SettleJob): void {
    this.put(job.id, job);
    this.sendSoon();
  }

  /** A locally admitted request's final usage, into its windows' budgets (per-minute buckets refill by themselves). */
  usage(plan: Plan, windows: Windows, tokens: number, nano: number): void {
    const change: Charge = [0, plan.tpd > 0 ? tokens : 0, plan.tpmo > 0 ? tokens : 0, plan.usdDay > 0 ? nano : 0, plan.usdMonth > 0 ? nano : 0];
    if (change[1] === 0 && change[2] === 0 && change[3] === 0 && change[4] === 0) return;
    const key = `usage|${plan.client}|${windows.day}`;
    const open = this.jobs.get(key);
    if (open) for (let i = 1; i < 5; i++) open.change[i] += change[i]!;
    else this.put(key, { plan, keys: plan.keysAt(windows), windows, mode: 'once', id: this.newId(), change, lease: '' });
    this.sendSoon();
  }

  /** A local ticket that ends once Redis is back (or a change kept while it was not) goes at once, not at the next tick. */
  private sendSoon(): void {
    if (this.flushing === undefined && this.link.available()) void this.flush();
  }

  /** Sends everything while Redis takes it; a failure stops the round (the rest waits for the next). */
  flush(): Promise<void> {
    if (this.jobs.size === 0 || !this.link.available()) return Promise.resolve();
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      this.sendSoon(); // what came in as the last round ended
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.jobs.size > 0 && this.link.available()) {
      const batch: SettleJob[] = [];
      for (const [key, job] of this.jobs) {
        // Taken out while in flight: usage seen meanwhile starts a new record (this one may apply, or not).
        this.jobs.delete(key);
        batch.push(job);
        if (batch.length >= BATCH) break;
      }
      this.sending = batch.length;
      const failure = await this.send(batch);
      this.sending = 0;
      if (failure !== undefined) return; // the link has counted it and waits a moment before asking Redis again
    }
  }

  /** One round, in this turn's calls; resolves to the first failure, if any. Each failed job is kept again. */
  private send(batch: readonly SettleJob[]): Promise<unknown> {
    return new Promise((resolve) => {
      let left = batch.length;
      let failure: unknown;
      const answered = (): void => {
        if (--left === 0) resolve(failure);
      };
      for (const job of batch) {
        this.batches.settle({
          job,
          mode: job.mode,
          done: answered,
          failed: (err) => {
            failure ??= err;
            this.put(job.id, job); // retried under its id: applying it twice is a no-op
            answered();
          },
        });
      }
    });
  }

  private put(key: string, job: SettleJob): void {
    this.jobs.set(key, job);
    if (this.jobs.size <= this.max) return;
    let dropped = 0;
    for (const oldest of this.jobs.keys()) {
      if (this.jobs.size <= this.max) break;
      this.jobs.delete(oldest);
      dropped++;
    }
    this.hooks.pendingDropped?.(dropped);
    if (Date.now() - this.droppedLoggedAt >= 60_000) {
      this.droppedLoggedAt = Date.now();
      this.log.warn('limits_pending_dropped', { dropped, kept: this.max, reason: 'usage kept while the store was unreachable is over its bound' });
    }
  }
}
