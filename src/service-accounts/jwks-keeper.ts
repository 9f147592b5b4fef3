import type { Logger } from '../observability/log';
import { parseJwks, type KeySet } from './jwks';

export interface JwksSchedule {
  /** A good key set is fetched again this often, to pick up keys the cluster adds. */
  refreshMs: number;
  /** A token signed by a key not in the set fetches it again, but at most this often. */
  unknownKeyMs: number;
  /** A failed fetch is retried after this, doubling up to `retryMaxMs`. */
  retryMs: number;
  retryMaxMs: number;
}

export const JWKS_SCHEDULE: JwksSchedule = { refreshMs: 5 * 60_000, unknownKeyMs: 30_000, retryMs: 1_000, retryMaxMs: 30_000 };

/** After a good fetch, the refresh period; after the n-th failure in a row, the retry delay doubled n-1 times, capped. */
export function nextFetchDelay(ok: boolean, failures: number, schedule: JwksSchedule): number {
  return ok ? schedule.refreshMs : Math.min(schedule.retryMaxMs, schedule.retryMs * 2 ** Math.max(0, failures - 1));
}

export type RefreshResult = 'success' | 'failure';

export interface JwksKeeperDeps {
  /** The JWKS document's text; rejects with a message fit for the log. */
  load(): Promise<string>;
  log: Logger;
  onRefresh(result: RefreshResult): void;
  /** The key set was replaced by a different one (not called for the first). */
  onChange(): void;
  now?: () => number;
}

/**
 * The issuer's signing keys over time: fetched at start, again every `refreshMs`, and when a token names an
 * unknown `kid` (at most every `unknownKeyMs`). Each good fetch replaces the set; a failed one keeps the last
 * good set and is retried with backoff. One fetch at a time: callers arriving meanwhile share it.
 */
export class JwksKeeper {
  private current: KeySet | undefined;
  private text: string | undefined;
  private inflight: Promise<boolean> | undefined;
  private lastUnknownKeyFetchMs = -Infinity;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;

  constructor(
    private readonly deps: JwksKeeperDeps,
    private readonly schedule: JwksSchedule = JWKS_SCHEDULE,
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** The last good key set; undefined until the first fetch succeeds. */
  get keys(): KeySet | undefined {
    return this.current;
  }

  ready(): boolean {
    return this.current !== undefined;
  }

  /** The first fetch is logged with `trigger: start`, as the first token exchange is. */
  start(): void {
    this.tick('start');
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /**
   * A token named a `kid` not in the set: the fetch to wait for, or undefined when an unknown kid fetched the
   * set too recently. Scheduled fetches do not count: a key added just after one is fetched at its first token.
   */
  refreshForUnknownKey(): Promise<boolean> | undefined {
    if (this.inflight) return this.inflight;
    if (this.now() - this.lastUnknownKeyFetchMs < this.schedule.unknownKeyMs) return undefined;
    this.lastUnknownKeyFetchMs = this.now();
    return this.refresh('unknown_kid');
  }

  private tick(trigger = 'schedule'): void {
    this.refresh(trigger).then((ok) => {
      if (this.closed) return;
      this.timer = setTimeout(() => this.tick(), nextFetchDelay(ok, this.failures, this.schedule));
      this.timer.unref();
    });
  }

  private refresh(trigger: string): Promise<boolean> {
    if (this.inflight) return this.inflight;
    this.inflight = this.deps
      .load()
      .then(
        (text) => this.accept(text, trigger),
        (err: Error) => this.reject(err.message, trigger),
      )
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private accept(text: string, trigger: string): boolean {
    if (text === this.text) return this.succeeded(false, trigger);
    const parsed = parseJwks(text);
    if ('error' in parsed) return this.reject(`the JWKS ${parsed.error}`, trigger);
    const replaced = this.current !== undefined;
    this.current = parsed.keys;
    this.text = text;
    if (replaced) this.deps.onChange();
    const fields = { trigger, kids: [...parsed.keys.keys()], skipped: parsed.skipped.length ? parsed.skipped : undefined };
    this.deps.log.info('jwks_refresh', { result: 'success', changed: true, ...fields });
    return this.succeeded(true, trigger);
  }

  private succeeded(changed: boolean, trigger: string): boolean {
    if (!changed) this.deps.log.debug('jwks_refresh', { result: 'success', changed: false, trigger });
    if (this.failures > 0) this.deps.log.info('jwks_refresh_recovered', { failures: this.failures });
    this.failures = 0;
    this.deps.onRefresh('success');
    return true;
  }

  private reject(reason: string, trigger: string): boolean {
    this.failures++;
    const kept = this.current ? 'keeping the last good keys' : 'no keys yet: ServiceAccount tokens are refused with 503 until a fetch succeeds';
    this.deps.log.error('jwks_refresh', { result: 'failure', trigger, reason, failures: this.failures, action: kept });
    this.deps.onRefresh('failure');
    return false;
  }
}
