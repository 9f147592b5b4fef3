import type { LimitName } from '../config/limits';
import type { Windows } from './calendar';
import { Charges } from './charges';
import type { Batches, SettleJob } from './batches';
import type { Leases } from './leases';
import type { Pending } from './pending';
import type { Charge, Plan } from './plan';
import type { StoreLink } from './store-link';
import type { Spend, Ticket } from './types';

/** What a Redis ticket needs of its engine. */
export interface RedisSide {
  link: StoreLink;
  pending: Pending;
  leases: Leases;
  batches: Batches;
}

/**
 * A request admitted by Redis. Its settlement goes to the windows of its admission (the keys are kept), is
 * sent without waiting for the reply, and when Redis does not take it, waits in `pending` (it applies once).
 */
export class RedisTicket extends Charges implements Ticket {
  constructor(
    private readonly side: RedisSide,
    plan: Plan,
    private readonly windows: Windows,
    private readonly keys: readonly string[],
    private readonly id: string,
    reserved: Charge,
    private readonly leased: boolean,
  ) {
    super(plan, reserved);
  }

  add(spend: Spend): LimitName | undefined | Promise<LimitName | undefined> {
    const change = this.grow(spend);
    if (!change) return undefined;
    const { link } = this.side;
    // Not taken now, charged with the next add() or end(): a session's usage is never dropped.
    if (!link.available()) return void this.revert(change);
    // The session goes on: its stream lease stays.
    const job = { ...this.job(change), lease: '' };
    return new Promise((resolve) =>
      this.side.batches.settle({
        job,
        mode: 'add',
        done: (applied, totals) => resolve(applied ? this.spent(totals) : undefined),
        failed: () => {
          this.revert(change);
          resolve(undefined);
        },
      }),
    );
  }

  end(spend: Spend): void {
    if (this.ended) return;
    const change = this.finish(spend) ?? [0, 0, 0, 0, 0];
    if (this.leased) this.side.leases.delete(this.plan, this.id);
    if (!this.plan.settles) {
      if (this.leased) this.freeLease();
      return;
    }
    settle(this.side, this.job(change));
  }

  /** A client with only request and stream limits has no open admission to close: the lease alone goes. */
  private freeLease(): void {
    const { link } = this.side;
    const job = this.job([0, 0, 0, 0, 0]);
    if (!link.available()) return this.side.pending.settle(job);
    link.send(['ZREM', this.keys[3]!, this.id]).then(
      () => link.succeeded(),
      (err: unknown) => {
        link.failed(err);
        this.side.pending.settle(job);
      },
    );
  }

  private job(change: Charge): SettleJob {
    return { plan: this.plan, keys: this.keys, windows: this.windows, mode: 'end', id: this.id, change, lease: this.leased ? this.id : '' };
  }

  /** The first day or month budget the totals in the reply have used up. */
  private spent([dayTokens, dayNano, monthTokens, monthNano]: readonly number[]): LimitName | undefined {
    const { plan } = this;
    if (plan.tpd > 0 && dayTokens! >= plan.tpd) return 'tokensPerDay';
    if (plan.tpmo > 0 && monthTokens! >= plan.tpmo) return 'tokensPerMonth';
    if (plan.usdDay > 0 && dayNano! >= plan.usdDay) return 'usdPerDay';
    if (plan.usdMonth > 0 && monthNano! >= plan.usdMonth) return 'usdPerMonth';
    return undefined;
  }
}

/** Sends a settlement with this turn's calls if Redis is there, else (or when it fails) keeps it for later. */
export function settle(side: RedisSide, job: SettleJob): void {
  const { link, pending } = side;
  if (!link.available()) return pending.settle(job);
  side.batches.settle({ job, mode: job.mode, done: ignore, failed: () => pending.settle(job) });
}

const ignore = (): void => {};
