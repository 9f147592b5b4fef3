import type { ClientLimits } from '../config/types';

/**
 * Per-client limits, per replica, in memory. Buckets refill lazily from the clock when they are looked at,
 * so there is no timer per request or per client.
 */

export type LimitName = 'requests' | 'tokens' | 'streams';

export interface LimitExceeded {
  limit: LimitName;
  /** Whole seconds until a retry can succeed (the `retry-after` header). */
  retryAfterSeconds: number;
}

/** A token bucket holding up to `perMinute`, refilled continuously at `perMinute / 60` per second. */
export class Bucket {
  private level: number;
  private updatedAt: number;

  constructor(
    private readonly perMinute: number,
    now: number,
  ) {
    this.level = perMinute;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.level = Math.min(this.perMinute, this.level + (elapsed * this.perMinute) / 60_000);
    this.updatedAt = now;
  }

  /** Seconds until the bucket holds at least `amount` (0 if it does now). */
  waitSeconds(amount: number, now: number): number {
    this.refill(now);
    if (this.level >= amount) return 0;
    return Math.max(1, Math.ceil(((amount - this.level) * 60) / this.perMinute));
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount;
  }
}

export class ClientLimiter {
  private readonly requests: Bucket | undefined;
  private readonly tokens: Bucket | undefined;
  private openStreams = 0;

  constructor(
    private readonly limits: ClientLimits,
    now: number,
  ) {
    this.requests = limits.requestsPerMinute ? new Bucket(limits.requestsPerMinute, now) : undefined;
    this.tokens = limits.tokensPerMinute ? new Bucket(limits.tokensPerMinute, now) : undefined;
  }

  /**
   * Admits a request or says which limit refuses it. Tokens are charged after the response (when usage is
   * known), so a request is admitted while the token bucket is not in debt.
   */
  admit(stream: boolean, now: number): LimitExceeded | undefined {
    if (stream && this.limits.concurrentStreams !== undefined && this.openStreams >= this.limits.concurrentStreams) {
      return { limit: 'streams', retryAfterSeconds: 1 };
    }
    const requestWait = this.requests?.waitSeconds(1, now) ?? 0;
    if (requestWait > 0) return { limit: 'requests', retryAfterSeconds: requestWait };
    const tokenWait = this.tokens?.waitSeconds(Number.MIN_VALUE, now) ?? 0;
    if (tokenWait > 0) return { limit: 'tokens', retryAfterSeconds: tokenWait };
    this.requests?.take(1, now);
    if (stream) this.openStreams++;
    return undefined;
  }

  /** The end of an admitted request: frees its stream slot and charges the tokens it used. */
  release(stream: boolean, tokens: number, now: number): void {
    if (stream) this.openStreams--;
    if (tokens > 0) this.tokens?.take(tokens, now);
  }
}
