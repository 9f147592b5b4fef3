import type { LimitName } from '../config/limits';
import { isoSeconds, type Windows } from './calendar';
import { CHECKED, NANO_PER_USD, type Plan, isBudget, secondsUntil } from './plan';
import type { ClientSnapshot, Verdict } from './types';

/** One client's counters in memory: bucket levels at `at`, the current day and month, open streams. */
export interface Counters {
  readonly plan: Plan;
  r: number;
  t: number;
  at: number;
  day: { id: string; tokens: number; nano: number };
  month: { id: string; tokens: number; nano: number };
  open: number;
}

/**
 * The limit that refuses a request, or undefined. Every limit is checked and the one with the longest wait is
 * named, so a spent budget is not reported as a rate limit with a retry in seconds. A request needs room for
 * its reservation (capped at each limit's size) and at least one token or nano-dollar, so a budget used up by
 * requests without a reservation refuses too. Tokens are named before money when both are spent.
 */
export function refusal(c: Counters, stream: boolean, tokens: number, nano: number, windows: Windows, now: number): Verdict | undefined {
  const { plan } = c;
  // In CHECKED order; a later limit is named only when its wait is longer.
  let limit: LimitName | undefined;
  let wait = 0;
  if (stream && plan.streams > 0 && c.open >= plan.streams) {
    limit = 'concurrentStreams';
    wait = 1;
  }
  if (plan.rpm > 0 && c.r < 1) {
    const seconds = bucketWait(1 - c.r, plan.rpm);
    if (seconds > wait) {
      limit = 'requestsPerMinute';
      wait = seconds;
    }
  }
  if (plan.tpm > 0 && c.t < needs(tokens, plan.tpm)) {
    const seconds = bucketWait(needs(tokens, plan.tpm) - c.t, plan.tpm);
    if (seconds > wait) {
      limit = 'tokensPerMinute';
      wait = seconds;
    }
  }
  const dayFull =
    (plan.tpd > 0 && c.day.tokens + needs(tokens, plan.tpd) > plan.tpd) || (plan.usdDay > 0 && c.day.nano + needs(nano, plan.usdDay) > plan.usdDay);
  if (dayFull && secondsUntil(windows.dayEnd, now) > wait) {
    limit = plan.tpd > 0 && c.day.tokens + needs(tokens, plan.tpd) > plan.tpd ? 'tokensPerDay' : 'usdPerDay';
    wait = secondsUntil(windows.dayEnd, now);
  }
  const monthFull =
    (plan.tpmo > 0 && c.month.tokens + needs(tokens, plan.tpmo) > plan.tpmo) ||
    (plan.usdMonth > 0 && c.month.nano + needs(nano, plan.usdMonth) > plan.usdMonth);
  if (monthFull && secondsUntil(windows.monthEnd, now) > wait) {
    limit = plan.tpmo > 0 && c.month.tokens + needs(tokens, plan.tpmo) > plan.tpmo ? 'tokensPerMonth' : 'usdPerMonth';
    wait = secondsUntil(windows.monthEnd, now);
  }
  return limit === undefined ? undefined : { ok: false, limit, retryAfterSeconds: wait, budget: isBudget(limit) };
}

/** The room a request needs in a limit: its reservation capped at the limit's size, and at least one unit. */
export function needs(reserve: number, size: number): number {
  return Math.max(1, Math.min(reserve, size));
}

/** Seconds until a bucket refilled at `size` per minute holds `missing` more. */
export function bucketWait(missing: number, size: number): number {
  return Math.max(1, Math.ceil((missing * 60) / size));
}

/** The GET /limits entry of a client: only the limits it has. */
export function snapshotOf(c: Counters, windows: Windows): ClientSnapshot {
  const { plan } = c;
  return view(plan, windows, {
    r: c.r,
    t: c.t,
    dayTokens: c.day.tokens,
    dayNano: c.day.nano,
    monthTokens: c.month.tokens,
    monthNano: c.month.nano,
    open: c.open,
  });
}

export interface Levels {
  r: number;
  t: number;
  dayTokens: number;
  dayNano: number;
  monthTokens: number;
  monthNano: number;
  open: number;
}

/** Shared by both stores, so every replica and either store answer in the same shape. */
export function view(plan: Plan, windows: Windows, levels: Levels): ClientSnapshot {
  const out: ClientSnapshot = {};
  const window = (limit: number, used: number, end: number) => ({ limit, used, remaining: Math.max(0, limit - used), resetsAt: isoSeconds(end) });
  // Money as counted, in nano-dollars, then shown in dollars: 20 - 0.0004 in floats would show 19.999599999999997.
  const money = (limit: number, nano: number, end: number) => ({
    limit: limit / NANO_PER_USD,
    used: nano / NANO_PER_USD,
    remaining: Math.max(0, limit - nano) / NANO_PER_USD,
    resetsAt: isoSeconds(end),
  });
  for (const name of CHECKED) {
    if (plan.limits[name] === undefined) continue;
    if (name === 'requestsPerMinute') out[name] = { limit: plan.rpm, remaining: Math.max(0, Math.floor(levels.r)) };
    if (name === 'tokensPerMinute') out[name] = { limit: plan.tpm, remaining: Math.max(0, Math.floor(levels.t)) };
    if (name === 'tokensPerDay') out[name] = window(plan.tpd, levels.dayTokens, windows.dayEnd);
    if (name === 'tokensPerMonth') out[name] = window(plan.tpmo, levels.monthTokens, windows.monthEnd);
    if (name === 'usdPerDay') out[name] = money(plan.usdDay, levels.dayNano, windows.dayEnd);
    if (name === 'usdPerMonth') out[name] = money(plan.usdMonth, levels.monthNano, windows.monthEnd);
    if (name === 'concurrentStreams') out[name] = { limit: plan.streams, open: levels.open };
  }
  return out;
}
