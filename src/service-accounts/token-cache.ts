/**
 * Verified tokens by the SHA-256 digest of the token (the digest the key lookup computed already), so a
 * token seen before costs a map lookup rather than a signature check. Each entry lives as long as its token
 * would pass the checks again (its `exp` plus the clock skew) and the cache holds at most `maxEntries`:
 * when full, expired entries go first (swept at most once a second), then the oldest.
 */
export const DEFAULT_MAX_CACHED_TOKENS = 10_000;
const SWEEP_EVERY_MS = 1_000;

interface Entry<T> {
  value: T;
  untilMs: number;
}

export class TokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private lastSweepMs = -Infinity;

  constructor(readonly maxEntries = DEFAULT_MAX_CACHED_TOKENS) {}

  get size(): number {
    return this.entries.size;
  }

  get(digest: string, nowMs: number): T | undefined {
    const entry = this.entries.get(digest);
    if (entry === undefined) return undefined;
    if (entry.untilMs > nowMs) return entry.value;
    this.entries.delete(digest);
    return undefined;
  }

  set(digest: string, value: T, untilMs: number, nowMs: number): void {
    if (untilMs <= nowMs || this.maxEntries < 1) return;
    if (!this.entries.has(digest) && this.entries.size >= this.maxEntries) this.makeRoom(nowMs);
    this.entries.set(digest, { value, untilMs });
  }

  /** Forgets every token: the key set changed, so what a removed key signed must be checked again. */
  clear(): void {
    this.entries.clear();
  }

  private makeRoom(nowMs: number): void {
    if (nowMs - this.lastSweepMs >= SWEEP_EVERY_MS) {
      this.lastSweepMs = nowMs;
      for (const [digest, entry] of this.entries) if (entry.untilMs <= nowMs) this.entries.delete(digest);
    }
    // A Map iterates in insertion order: the first key is the oldest entry.
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
