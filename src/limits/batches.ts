import { RedisError } from '../redis/errors';
import type { RespArg, RespValue } from '../redis/resp';
import type { Windows } from './calendar';
import type { Charge, Plan } from './plan';
import { APPLY, KEEP_MS } from './scripts';
import type { StoreLink } from './store-link';

/** A change for Redis, applied at most once (see APPLY), so it can be retried until Redis takes it. */
export interface SettleJob {
  plan: Plan;
  keys: readonly string[];
  windows: Windows;
  mode: 'end' | 'once';
  id: string;
  change: Charge;
  /** The stream lease to free, or ''. */
  lease: string;
}

/** An admission for APPLY: `done` gets 0, 0 (admitted) or the refused limit's number and the seconds to wait. */
export interface Admission {
  stream: boolean;
  tokens: number;
  nano: number;
  id: string;
  /** Recorded as open: something is settled later. */
  record: boolean;
  done(limit: number, wait: number): void;
  /** The call failed (the failure is counted and logged once per call, by the link). */
  failed(err: RedisError): void;
}

/** A settlement for APPLY: `done` gets whether it applied and, for `add`, the day's and month's totals. */
export interface Settlement {
  job: SettleJob;
  mode: 'end' | 'add' | 'once';
  done(applied: boolean, totals: readonly number[]): void;
  failed(err: RedisError): void;
}

class Batch {
  readonly settlements: Settlement[] = [];
  readonly admissions: Admission[] = [];
  constructor(
    readonly plan: Plan,
    readonly windows: Windows,
    readonly keys: readonly string[],
  ) {}
}

/** Calls per script run at most: keeps a run's arguments and its time inside Redis small. */
const MAX_CALLS = 200;
const NO_TOTALS: readonly number[] = Object.freeze([]);

/**
 * The admissions and settlements of one event-loop turn, gathered per client and window and sent as one APPLY
 * each, at the end of the turn, written with the rest of the turn's commands. Under load a turn brings several
 * requests of a client, so Redis runs one script for them all; a lone request goes alone, no later than before.
 */
export class Batches {
  private readonly open = new Map<readonly string[], Batch>();
  private scheduled = false;

  constructor(
    private readonly link: StoreLink,
    private readonly now: () => number,
    private readonly leaseMs: number,
  ) {}

  admit(plan: Plan, windows: Windows, keys: readonly string[], admission: Admission): void {
    this.batch(plan, windows, keys).admissions.push(admission);
  }

  settle(settlement: Settlement): void {
    const { plan, windows, keys } = settlement.job;
    this.batch(plan, windows, keys).settlements.push(settlement);
  }

  private batch(plan: Plan, windows: Windows, keys: readonly string[]): Batch {
    let batch = this.open.get(keys);
    if (batch && batch.admissions.length + batch.settlements.length >= MAX_CALLS) {
      this.open.delete(keys);
      this.send(batch);
      batch = undefined;
    }
    if (!batch) {
      batch = new Batch(plan, windows, keys);
      this.open.set(keys, batch);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return batch;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    for (const batch of this.open.values()) this.send(batch);
    this.open.clear();
    this.link.flush(); // this turn, not the next: the client would write them one turn later
  };

  private send(batch: Batch): void {
    const { plan, windows, settlements, admissions } = batch;
    const args: RespArg[] = [this.now(), plan.rpm, plan.tpm, plan.tpd, plan.tpmo, plan.usdDay, plan.usdMonth, plan.streams];
    args.push(windows.dayEnd, windows.monthEnd, this.leaseMs, KEEP_MS, settlements.length);
    for (const { job, mode } of settlements) {
      const c = job.change;
      args.push(mode, job.id, c[0], c[1], c[2], c[3], c[4], job.lease);
    }
    args.push(admissions.length);
    for (const a of admissions) args.push(a.stream ? 1 : 0, a.tokens, a.nano, a.id, a.record ? 1 : 0);
    this.link.run(APPLY, batch.keys, args).then(
      (reply) => this.answer(batch, reply),
      (err: unknown) => this.fail(batch, err instanceof RedisError ? err : new RedisError('protocol', String(err))),
    );
  }

  private answer(batch: Batch, reply: RespValue): void {
    const { settlements, admissions } = batch;
    const n = settlements.length;
    if (!Array.isArray(reply) || reply.length < n + 2 * admissions.length) {
      return this.fail(batch, new RedisError('protocol', 'Redis answered the limits script with something else'));
    }
    this.link.succeeded();
    const values = reply as number[];
    const totals = values.length > n + 2 * admissions.length ? values.slice(n + 2 * admissions.length) : NO_TOTALS;
    for (let i = 0; i < n; i++) settlements[i]!.done(values[i] === 1, totals);
    for (let i = 0; i < admissions.length; i++) admissions[i]!.done(Number(values[n + 2 * i]), Number(values[n + 2 * i + 1]));
  }

  private fail({ settlements, admissions }: Batch, err: RedisError): void {
    this.link.failed(err);
    for (const settlement of settlements) settlement.failed(err);
    for (const admission of admissions) admission.failed(err);
  }
}
