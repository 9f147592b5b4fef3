import type { RespValue } from '../redis/resp';
import type { Windows } from './calendar';
import { type Levels, view } from './memory-counters';
import type { Plan } from './plan';
import type { StoreLink } from './store-link';
import type { ClientSnapshot } from './types';

/**
 * GET /limits from Redis: per client, only the keys of the limits it has, all commands pipelined (one round
 * trip for every client). Bucket levels are refilled to `now` as the scripts do, so every replica shows the same.
 */
export async function readSnapshot(link: StoreLink, plans: readonly Plan[], windows: Windows, now: number): Promise<Record<string, ClientSnapshot>> {
  const reads = plans.map((plan) => readClient(link, plan, windows, now));
  const levels = await Promise.all(reads);
  const clients: Record<string, ClientSnapshot> = {};
  for (let i = 0; i < plans.length; i++) clients[plans[i]!.client] = view(plans[i]!, windows, levels[i]!);
  return clients;
}

async function readClient(link: StoreLink, plan: Plan, windows: Windows, now: number): Promise<Levels> {
  const [rate, day, month, streams] = plan.keysAt(windows);
  const none = Promise.resolve<RespValue>(null);
  const [bucket, dayCounts, monthCounts, open] = await Promise.all([
    plan.rpm > 0 || plan.tpm > 0 ? link.send(['HMGET', rate!, 'r', 'rt', 't', 'tt']) : none,
    plan.tpd > 0 || plan.usdDay > 0 ? link.send(['HMGET', day!, 't', 'u']) : none,
    plan.tpmo > 0 || plan.usdMonth > 0 ? link.send(['HMGET', month!, 't', 'u']) : none,
    plan.streams > 0 ? link.send(['ZCOUNT', streams!, `(${now}`, '+inf']) : none,
  ]);
  const b = (bucket ?? []) as (string | null)[];
  const d = (dayCounts ?? []) as (string | null)[];
  const m = (monthCounts ?? []) as (string | null)[];
  return {
    r: levelAt(b[0], b[1], plan.rpm, now),
    t: levelAt(b[2], b[3], plan.tpm, now),
    dayTokens: Number(d[0] ?? 0),
    dayNano: Number(d[1] ?? 0),
    monthTokens: Number(m[0] ?? 0),
    monthNano: Number(m[1] ?? 0),
    open: typeof open === 'number' ? open : 0,
  };
}

/** A bucket's level now: as stored at its time, refilled since; absent (expired) is full. */
export function levelAt(value: string | null | undefined, at: string | null | undefined, size: number, now: number): number {
  if (value === null || value === undefined) return size;
  return Math.min(size, Number(value) + (Math.max(0, now - Number(at)) * size) / 60_000);
}
