import { performance } from 'node:perf_hooks';
import { fingerprint, type Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { ExchangeError } from './errors';
import type { Issued } from './token-requests';

/** A failed exchange is retried after 1 s, doubling up to this. */
export const MAX_BACKOFF_MS = 60_000;
/**
 * Upstream 401s start a refresh at most this often. A 401 that a fresh credential also gets is about the request
 * or the account, not the credential's age; any client can send requests the upstream refuses, and refreshing on
 * each would let it turn every request into an exchange.
 */
export const UNAUTHORIZED_COOLDOWN_MS = 10_000;
/**
 * A new credential is not scheduled sooner than this after the last: a token endpoint issuing absurdly
 * short-lived tokens is not asked more often.
 */
export const MIN_REFRESH_MS = 10_000;
/** setTimeout's largest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** When a third of the lifetime is left. */
export function refreshDelayMs(lifetimeMs: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(MIN_REFRESH_MS, (lifetimeMs * 2) / 3));
}

/** 1 s, 2 s, 4 s ... 60 s, each drawn between half and the whole step so that replicas do not retry in step. */
export function backoffDelayMs(failures: number, random: number): number {
  const step = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(step * (0.5 + random / 2));
}

type Trigger = 'start' | 'schedule' | 'retry' | 'unauthorized';

interface Held {
  value: string;
  expiresAt: number;
  fingerprint: string;
}

export interface CredentialDeps {
  log: Logger;
  metrics: Metrics;
  random?: () => number;
}

/**
 * One short-lived upstream credential and its life: obtained at start, refreshed (one exchange at a time) when a
 * third of its lifetime is left, retried with backoff after a failure, and refreshed early when the upstream
 * refuses it. The current credential stays in use until a new one is in hand: a refused refresh (or a client
 * provoking 401s) never leaves the proxy without the credential it had. Requests read `token()`; only
 * fingerprints of it are ever logged.
 */
export class Credential {
  private held: Held | undefined;
  private inFlight: Promise<string | undefined> | undefined;
  /** The exchange started because the upstream refused the credential: requests refused with it wait for it. */
  private renewing: Promise<string | undefined> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private lastRefusedAt = -Infinity;
  private deps: CredentialDeps | undefined;

  constructor(
    /** `upstream`, or the client's name: the metric label and log field. */
    readonly name: string,
    /** One exchange; `held` is the access token in use, which the endpoint's error text must not carry into a log. */
    private readonly exchange: (held: readonly string[]) => Promise<Issued>,
  ) {}

  /** Starts the first exchange; the series exist from now on, so a credential never obtained shows as 0. */
  start(deps: CredentialDeps): void {
    this.deps = deps;
    deps.metrics.credentialExpiry.with(this.name).set(0);
    deps.metrics.credentialRefreshes.with(this.name, 'success');
    deps.metrics.credentialRefreshes.with(this.name, 'failure');
    void this.refresh('start');
  }

  close(): void {
    clearTimeout(this.timer);
    this.deps = undefined;
  }

  /** Holding a valid credential (readiness): not before the first, nor once one expired with no new one in hand. */
  get ready(): boolean {
    return this.token() !== undefined;
  }

  /** The current access token, while it is valid. */
  token(): string | undefined {
    const held = this.held;
    return held && Date.now() < held.expiresAt ? held.value : undefined;
  }

  /**
   * The token to send with: after a refusal, once the refresh it started has settled (the new token, or the
   * current one if none could be had); else the current one. Undefined when there is no valid credential.
   */
  async acquire(): Promise<string | undefined> {
    if (this.renewing) await this.renewing;
    return this.token();
  }

  /**
   * The upstream answered 401 to a request sent with `token`. Returns whether the request may be sent once more
   * (with `acquire()`'s token): when another credential is in hand or being obtained. A refusal starts a refresh
   * at most once per UNAUTHORIZED_COOLDOWN_MS; the current credential is kept meanwhile.
   */
  rejected(token: string): boolean {
    if (this.held?.value !== token || this.renewing) return true;
    if (Date.now() - this.lastRefusedAt < UNAUTHORIZED_COOLDOWN_MS) return false;
    this.lastRefusedAt = Date.now();
    const action = 'refreshing; the current credential stays in use until a new one is in hand';
    this.deps?.log.warn('credential_refused', { credential: this.name, fingerprint: this.held.fingerprint, reason: 'the upstream answered 401', action });
    const next = this.refresh('unauthorized');
    this.renewing = next;
    void next.then(() => {
      if (this.renewing === next) this.renewing = undefined;
    });
    return true;
  }

  private refresh(trigger: Trigger): Promise<string | undefined> {
    if (this.inFlight) return this.inFlight;
    clearTimeout(this.timer);
    const startedAt = performance.now();
    const done = this.exchange(this.held ? [this.held.value] : []).then(
      (issued) => this.onIssued(issued, trigger, startedAt),
      (err: unknown) => this.onFailed(err, trigger),
    );
    this.inFlight = done;
    void done.then(() => (this.inFlight = undefined));
    return done;
  }

  private onIssued(issued: Issued, trigger: Trigger, startedAt: number): string | undefined {
    const deps = this.deps;
    if (!deps) return undefined;
    const lifetimeMs = issued.expiresInSeconds * 1000;
    const held = { value: issued.accessToken, expiresAt: Date.now() + lifetimeMs, fingerprint: fingerprint(issued.accessToken) };
    this.held = held;
    this.failures = 0;
    deps.metrics.credentialRefreshes.with(this.name, 'success').inc();
    deps.metrics.credentialExpiry.with(this.name).set(held.expiresAt / 1000);
    const durationMs = Math.round(performance.now() - startedAt);
    deps.log.info('credential_refresh', {
      credential: this.name,
      result: 'success',
      trigger,
      fingerprint: held.fingerprint,
      expiresAt: new Date(held.expiresAt).toISOString(),
      durationMs,
    });
    this.schedule(refreshDelayMs(lifetimeMs), 'schedule');
    return held.value;
  }

  private onFailed(err: unknown, trigger: Trigger): undefined {
    const deps = this.deps;
    if (!deps) return undefined;
    this.failures++;
    const retryInMs = backoffDelayMs(this.failures, (deps.random ?? Math.random)());
    deps.metrics.credentialRefreshes.with(this.name, 'failure').inc();
    const valid = this.token() !== undefined;
    const known = err instanceof ExchangeError ? err : undefined;
    (valid ? deps.log.warn : deps.log.error)('credential_refresh', {
      credential: this.name,
      result: 'failure',
      trigger,
      reason: known?.reason ?? 'internal',
      message: known?.message ?? 'the exchange failed unexpectedly',
      ...known?.details,
      retryInMs,
      validUntil: valid ? new Date(this.held!.expiresAt).toISOString() : null,
    });
    this.schedule(retryInMs, 'retry');
    return undefined;
  }

  private schedule(delayMs: number, trigger: Trigger): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(trigger), delayMs);
    this.timer.unref();
  }
}
