import { BUDGETS, type ClientLimits, type LimitName } from '../config/limits';
import type { Windows } from './calendar';

/**
 * A client's limits in the units the stores count in: tokens, and money in whole nano-dollars (integers, so
 * sums are exact in Redis's integer counters and in a double, where a float of dollars would drift).
 */
export const NANO_PER_USD = 1e9;
export const toNano = (usd: number): number => Math.round(usd * NANO_PER_USD);

/** The order limits are checked in and numbered by (the scripts return a refusal's number). */
export const CHECKED: readonly LimitName[] = [
  'concurrentStreams',
  'requestsPerMinute',
  'tokensPerMinute',
  'tokensPerDay',
  'tokensPerMonth',
  'usdPerDay',
  'usdPerMonth',
];

/** The five limits a reservation and a settlement touch, in this order in `Charge` arrays. */
export const CHARGED = ['tokensPerMinute', 'tokensPerDay', 'tokensPerMonth', 'usdPerDay', 'usdPerMonth'] as const;
export type Charge = [tpm: number, tpd: number, tpmo: number, usdDay: number, usdMonth: number];

export class Plan {
  readonly rpm: number;
  readonly tpm: number;
  readonly tpd: number;
  readonly tpmo: number;
  readonly usdDay: number;
  readonly usdMonth: number;
  readonly streams: number;
  /** Whether anything is settled after the response (tokens or money): then admissions are recorded by id. */
  readonly settles: boolean;
  readonly tag: string;
  /** Sizes in CHARGED order (0: the client has no such limit). */
  readonly sizes: Readonly<Charge>;
  private keys: readonly string[] = [];
  private keysFor: Windows | undefined;

  constructor(
    readonly client: string,
    readonly limits: ClientLimits,
    keyPrefix: string,
  ) {
    this.rpm = limits.requestsPerMinute ?? 0;
    this.tpm = limits.tokensPerMinute ?? 0;
    this.tpd = limits.tokensPerDay ?? 0;
    this.tpmo = limits.tokensPerMonth ?? 0;
    this.usdDay = limits.usdPerDay === undefined ? 0 : toNano(limits.usdPerDay);
    this.usdMonth = limits.usdPerMonth === undefined ? 0 : toNano(limits.usdPerMonth);
    this.streams = limits.concurrentStreams ?? 0;
    this.sizes = [this.tpm, this.tpd, this.tpmo, this.usdDay, this.usdMonth];
    this.settles = this.tpm + this.tpd + this.tpmo + this.usdDay + this.usdMonth > 0;
    // The hash tag puts every key of a client in one cluster slot, as a script touching several keys needs.
    this.tag = `${keyPrefix}{${client}}:`;
  }

  /** The reservation each charged limit takes: the request's, capped at that limit's size (0 where it has none). */
  reserve(tokens: number, nano: number): Charge {
    return [Math.min(tokens, this.tpm), Math.min(tokens, this.tpd), Math.min(tokens, this.tpmo), Math.min(nano, this.usdDay), Math.min(nano, this.usdMonth)];
  }

  /** The script's KEYS: rate buckets, the day, the month, stream leases, open admissions. */
  keysAt(windows: Windows): readonly string[] {
    if (this.keysFor !== windows) {
      this.keysFor = windows;
      this.keys = [`${this.tag}rate`, `${this.tag}day:${windows.day}`, `${this.tag}month:${windows.month}`, `${this.tag}streams`, `${this.tag}open`];
    }
    return this.keys;
  }
}

export const isBudget = (limit: LimitName): boolean => BUDGETS.has(limit);

/** `retry-after` for a window: the seconds to its end, at least 1. */
export const secondsUntil = (end: number, now: number): number => Math.max(1, Math.ceil((end - now) / 1000));
