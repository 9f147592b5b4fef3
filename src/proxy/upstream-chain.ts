import type { IncomingMessage } from 'node:http';
import type { FallbackOn } from '../config/types';
import type { ProxyError } from '../http/errors';
import { UpstreamError, classifyUpstreamError } from '../http/upstream-errors';
import type { Target } from '../keys/chains';
import type { Metrics } from '../observability/metrics';
import type { Upstream } from './upstream';
import { retryAfterTime } from './upstream-health';

/** The failures of an attempt that move a request on to the next upstream: only before a response has begun. */
const CONNECT_FAILURES: ReadonlySet<string> = new Set(['unreachable', 'tls', 'connect_timeout']);

/** Why an attempt that failed without a response may move on: `connect`, `reset`, `timeout` (as a 504), or not. */
export function reasonOfFailure(err: NodeJS.ErrnoException | ProxyError, on: FallbackOn): string | undefined {
  const classified = classifyUpstreamError(err, false);
  if (!(classified instanceof UpstreamError)) return undefined;
  if (CONNECT_FAILURES.has(classified.reason)) return on.connect ? 'connect' : undefined;
  if (classified.reason === 'reset') return 'reset';
  if (classified.reason === 'first_byte_timeout') return on.statuses.has(504) ? 'timeout' : undefined;
  return undefined;
}

/** Why an answer's head moves the request on: its status, when `fallbackOn` names it. */
export function reasonOfStatus(res: IncomingMessage, on: FallbackOn): string | undefined {
  return on.statuses.has(res.statusCode ?? 0) ? String(res.statusCode) : undefined;
}

export interface Hop {
  route: Upstream;
  target: Target;
}

/**
 * One request's way along its client's chain of upstreams: where it is, where it goes next when that fails,
 * and each upstream's health and metrics told how each attempt went. Upstreams whose health says to pass them
 * over are skipped while there is another to try.
 */
export class UpstreamChain {
  attempts = 0;
  private index = -1;

  constructor(
    private readonly chain: readonly Target[],
    private readonly routes: ReadonlyMap<string, Upstream>,
    private readonly metrics: Metrics,
  ) {}

  /** The first upstream to try: the first the health lets through, else the first of all. */
  first(now: number): Hop {
    const admitted = this.findFrom(0, now);
    return this.go(admitted === -1 ? 0 : admitted);
  }

  get current(): Hop {
    return this.hop(this.index);
  }

  /** Whether another upstream follows the current one. */
  get hasNext(): boolean {
    return this.index < this.chain.length - 1;
  }

  /**
   * The current upstream failed for `reason` (a status answer `res` may say until when it refuses): the next
   * upstream the health lets through, or undefined when none is left (the current answer or failure stands).
   */
  next(reason: string, now: number, res?: IncomingMessage): Hop | undefined {
    const from = this.current;
    const until = res?.statusCode === 429 ? retryAfterTime(firstValue(res.headers['retry-after']), now) : undefined;
    if (until !== undefined) from.route.health.refusedUntil(until, now);
    else from.route.health.failed(now);
    const next = this.findFrom(this.index + 1, now);
    if (next === -1) return undefined;
    this.metrics.upstreamAttempts.with(from.route.name, 'fallback').inc();
    const hop = this.go(next);
    this.metrics.fallbacks.with(from.route.name, hop.route.name, reason).inc();
    return hop;
  }

  /** The current upstream's answer went to the client (whatever its status). */
  answered(): void {
    this.current.route.health.succeeded();
    this.metrics.upstreamAttempts.with(this.current.route.name, 'answered').inc();
  }

  /** The current upstream failed and the request ends with that failure. */
  failed(now: number, countsAgainst: boolean): void {
    if (countsAgainst) this.current.route.health.failed(now);
    else this.current.route.health.abandoned();
    this.metrics.upstreamAttempts.with(this.current.route.name, 'failed').inc();
  }

  /** The client left while the current upstream was being tried: no verdict on it. */
  abandoned(): void {
    if (this.index >= 0) this.current.route.health.abandoned();
  }

  private findFrom(start: number, now: number): number {
    for (let i = start; i < this.chain.length; i++) {
      if (this.hop(i).route.health.admits(now)) return i;
      this.metrics.upstreamAttempts.with(this.hop(i).route.name, 'skipped').inc();
    }
    return -1;
  }

  private go(index: number): Hop {
    this.index = index;
    this.attempts++;
    return this.hop(index);
  }

  private hop(index: number): Hop {
    const target = this.chain[index]!;
    return { target, route: this.routes.get(target.upstream)! };
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
