/** An upstream that failed this many times in a row is passed over for SKIP_MS, then tried with one request. */
export const FAILURES_BEFORE_SKIP = 5;
export const SKIP_MS = 30_000;

/**
 * Whether requests should try an upstream now, from how its last attempts went: five failures in a row (connect
 * failures, resets, `fallbackOn` statuses) pass it over for 30 s, then one request probes it while the others
 * keep passing it over; a 429 with `retry-after` passes it over until then. Only a chain with somewhere else
 * to go passes an upstream over.
 */
export class UpstreamHealth {
  private failures = 0;
  private skipUntil = 0;
  private probing = false;

  /** Whether a request may try it now. A request let through as the probe must report back (succeeded/failed/abandoned). */
  admits(now: number): boolean {
    if (now < this.skipUntil) return false;
    if (this.failures < FAILURES_BEFORE_SKIP) return true;
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  succeeded(): void {
    this.failures = 0;
    this.probing = false;
    this.skipUntil = 0;
  }

  failed(now: number): void {
    this.failures++;
    this.probing = false;
    if (this.failures >= FAILURES_BEFORE_SKIP) this.skipUntil = now + SKIP_MS;
  }

  /** A 429 with `retry-after`: pass it over until then (a failure too). */
  refusedUntil(until: number, now: number): void {
    this.failed(now);
    this.skipUntil = Math.max(this.skipUntil, until);
  }

  /** The probe ended without an answer either way (its client left): another request may probe. */
  abandoned(): void {
    this.probing = false;
  }
}

/** `retry-after` as delay seconds or an HTTP date; the time it names, or undefined. */
export function retryAfterTime(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  if (/^\d+$/.test(header.trim())) return now + Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : date;
}
