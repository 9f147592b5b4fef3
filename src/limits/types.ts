import type { LimitName } from '../config/limits';

export type { LimitName };

/** What a request used or is expected to use: tokens (input + output) and USD (whole nano-dollars, see prices.ts). */
export interface Spend {
  tokens: number;
  usd: number;
}

export const NO_SPEND: Spend = Object.freeze({ tokens: 0, usd: 0 });

export interface AdmitRequest {
  /** A streamed response holds a `concurrentStreams` lease until its ticket ends. */
  stream: boolean;
  /** Taken at admission (each limit's share capped at that limit's size), replaced by the actual spend at `end`. */
  reserve: Spend;
}

export type Verdict =
  | { ok: true; ticket: Ticket }
  /** `budget`: a day or month window (budget_exceeded, x-should-retry: false), else a rate limit. */
  | { ok: false; limit: LimitName; retryAfterSeconds: number; budget: boolean; unavailable?: undefined }
  /** `onStoreError: deny` while the store is unreachable (503 limits_unavailable). */
  | { ok: false; unavailable: true; limit?: undefined };

export interface Ticket {
  /**
   * Usage seen during a long session (a WebSocket), on top of what was passed before; counted at once beyond the
   * reservation. Resolves to a day or month budget that is now used up, if any, so the session can be ended.
   */
  add(spend: Spend): LimitName | undefined | Promise<LimitName | undefined>;
  /**
   * The usage not yet passed to add() (for a plain request: all of it). The total replaces the reservation, in
   * the windows of the admission; frees the stream lease. Only the first call counts.
   */
  end(spend: Spend): void;
}

export type StoreState = 'connected' | 'local' | 'deny';

export interface Limits {
  readonly store: 'redis' | 'memory';
  /** `connected`: Redis decides; `local`: this replica alone (no store, or it is unreachable); `deny`: refusing. */
  state(): StoreState;
  /** Whether the client has limits (the others never touch the store). */
  has(client: string): boolean;
  /** Synchronous unless Redis is asked. A client without limits is admitted at once with a ticket that does nothing. */
  admit(client: string, request: AdmitRequest): Verdict | Promise<Verdict>;
  /** The `GET /limits` document: each client with the limits it has, read from the store. */
  snapshot(): Promise<LimitsSnapshot>;
  close(): Promise<void>;
}

export interface RateSnapshot {
  limit: number;
  remaining: number;
}
export interface WindowSnapshot {
  limit: number;
  used: number;
  remaining: number;
  /** `2026-12-07T00:00:00Z` */
  resetsAt: string;
}
export interface StreamsSnapshot {
  limit: number;
  open: number;
}
export type ClientSnapshot = Partial<Record<'requestsPerMinute' | 'tokensPerMinute', RateSnapshot>> &
  Partial<Record<'tokensPerDay' | 'tokensPerMonth' | 'usdPerDay' | 'usdPerMonth', WindowSnapshot>> & { concurrentStreams?: StreamsSnapshot };

export interface LimitsSnapshot {
  store: 'redis' | 'memory';
  state: StoreState;
  clients: Record<string, ClientSnapshot>;
}

/** The product's Logger has this shape. */
export interface LimitsLogger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** For the metrics: openai_proxy_limits_store_up, _store_errors_total{reason}, _store_duration_seconds, pending dropped. */
export interface LimitsHooks {
  storeUp?(up: boolean): void;
  /** `timeout`, `closed`, `queue_full`, `auth`, `reply`, `connect`, `protocol`. */
  storeError?(reason: string): void;
  /** Each admission, settlement, renewal or read, from sending to its reply. */
  storeDuration?(seconds: number): void;
  /** Usage kept while the store was unreachable and dropped over the bound (oldest first). */
  pendingDropped?(count: number): void;
}

export const NOOP_TICKET: Ticket = Object.freeze({ add: () => undefined, end: () => {} });
/** The verdict of every client without limits: one frozen object, nothing allocated. */
export const ADMITTED: Verdict = Object.freeze({ ok: true, ticket: NOOP_TICKET });
export const UNAVAILABLE: Verdict = Object.freeze({ ok: false, unavailable: true });
