import type { LimitName } from '../config/limits';
import { Calendar, type Windows } from './calendar';
import { Charges } from './charges';
import { type Charge, type Plan, toNano } from './plan';
import { refusal, snapshotOf, type Counters } from './memory-counters';
import { ADMITTED, type AdmitRequest, type ClientSnapshot, type Limits, type LimitsSnapshot, type Spend, type Ticket, type Verdict } from './types';

/** A ticket's final usage, for the Redis store to add once it is back (tokens, nano-dollars, in its windows). */
export type LocalUsage = (plan: Plan, windows: Windows, tokens: number, nano: number) => void;

/**
 * Limits counted by this replica alone, in memory: when no store is configured, and as the Redis store's
 * fallback. Synchronous; buckets refill from the clock when looked at, so there is no timer.
 */
export class MemoryLimits implements Limits {
  readonly store = 'memory' as const;
  private readonly clients = new Map<string, Counters>();

  constructor(
    plans: Iterable<Plan>,
    private readonly now: () => number = Date.now,
    private readonly onUsage?: LocalUsage,
    private readonly calendar = new Calendar(),
  ) {
    for (const plan of plans) this.clients.set(plan.client, newCounters(plan, now()));
  }

  state(): 'local' {
    return 'local';
  }

  has(client: string): boolean {
    return this.clients.has(client);
  }

  admit(client: string, request: AdmitRequest): Verdict {
    const counters = this.clients.get(client);
    if (!counters) return ADMITTED;
    const now = this.now();
    const windows = this.calendar.at(now);
    roll(counters, windows);
    refill(counters, now);
    const { plan } = counters;
    const nano = toNano(request.reserve.usd);
    const refused = refusal(counters, request.stream, request.reserve.tokens, nano, windows, now);
    if (refused) return refused;
    const reserved = plan.reserve(request.reserve.tokens, nano);
    counters.r -= plan.rpm > 0 ? 1 : 0;
    apply(counters, windows, reserved);
    const stream = request.stream && plan.streams > 0;
    if (stream) counters.open++;
    return { ok: true, ticket: new MemoryTicket(this, counters, windows, reserved, stream) };
  }

  async snapshot(): Promise<LimitsSnapshot> {
    return { store: 'memory', state: 'local', clients: this.read() };
  }

  /** Every client's counters now, as GET /limits shows them. */
  read(): Record<string, ClientSnapshot> {
    const now = this.now();
    const windows = this.calendar.at(now);
    const clients: Record<string, ClientSnapshot> = {};
    for (const [name, counters] of this.clients) {
      roll(counters, windows);
      refill(counters, now);
      clients[name] = snapshotOf(counters, windows);
    }
    return clients;
  }

  async close(): Promise<void> {}

  /** @internal a ticket's change, in the windows of its admission. */
  charge(counters: Counters, windows: Windows, change: Charge): void {
    refill(counters, this.now());
    apply(counters, windows, change);
  }

  /** @internal */
  ended(counters: Counters, windows: Windows, stream: boolean, tokens: number, nano: number): void {
    if (stream) counters.open--;
    this.onUsage?.(counters.plan, windows, tokens, nano);
  }
}

class MemoryTicket extends Charges implements Ticket {
  constructor(
    private readonly owner: MemoryLimits,
    private readonly counters: Counters,
    private readonly windows: Windows,
    reserved: Charge,
    private readonly stream: boolean,
  ) {
    super(counters.plan, reserved);
  }

  add(spend: Spend): LimitName | undefined {
    const change = this.grow(spend);
    if (change) this.owner.charge(this.counters, this.windows, change);
    const { plan, day, month } = this.counters;
    const today = day.id === this.windows.day;
    const thisMonth = month.id === this.windows.month;
    if (today && plan.tpd > 0 && day.tokens >= plan.tpd) return 'tokensPerDay';
    if (thisMonth && plan.tpmo > 0 && month.tokens >= plan.tpmo) return 'tokensPerMonth';
    if (today && plan.usdDay > 0 && day.nano >= plan.usdDay) return 'usdPerDay';
    if (thisMonth && plan.usdMonth > 0 && month.nano >= plan.usdMonth) return 'usdPerMonth';
    return undefined;
  }

  end(spend: Spend): void {
    if (this.ended) return;
    const change = this.finish(spend);
    if (change) this.owner.charge(this.counters, this.windows, change);
    this.owner.ended(this.counters, this.windows, this.stream, this.tokens, this.nano);
  }
}

function newCounters(plan: Plan, now: number): Counters {
  return { plan, r: plan.rpm, t: plan.tpm, at: now, day: { id: '', tokens: 0, nano: 0 }, month: { id: '', tokens: 0, nano: 0 }, open: 0 };
}

/** A new day or month starts empty; a settlement into a window that has passed is dropped with it. */
function roll(counters: Counters, windows: Windows): void {
  if (counters.day.id !== windows.day) counters.day = { id: windows.day, tokens: 0, nano: 0 };
  if (counters.month.id !== windows.month) counters.month = { id: windows.month, tokens: 0, nano: 0 };
}

function refill(counters: Counters, now: number): void {
  const elapsed = Math.max(0, now - counters.at);
  const { rpm, tpm } = counters.plan;
  if (rpm > 0) counters.r = Math.min(rpm, counters.r + (elapsed * rpm) / 60_000);
  if (tpm > 0) counters.t = Math.min(tpm, counters.t + (elapsed * tpm) / 60_000);
  counters.at = Math.max(counters.at, now);
}

function apply(counters: Counters, windows: Windows, change: Readonly<Charge>): void {
  counters.t = Math.min(counters.plan.tpm, counters.t - change[0]);
  if (counters.day.id === windows.day) {
    counters.day.tokens += change[1];
    counters.day.nano += change[3];
  }
  if (counters.month.id === windows.month) {
    counters.month.tokens += change[2];
    counters.month.nano += change[4];
  }
}
