import { performance } from 'node:perf_hooks';
import type { RedisClient } from '../redis/client';
import { RedisError } from '../redis/errors';
import type { RespArg, RespValue } from '../redis/resp';
import type { Script } from '../redis/script';
import type { LimitsHooks, LimitsLogger } from './types';

/** After a command failed (slow, refused), this replica decides alone for this long, then asks Redis again. */
const LOCAL_AFTER_FAILURE_MS = 1000;
/** A refused password or ACL, or Redis unreachable, is logged at most this often (per kind of trouble). */
const LOG_EVERY_MS = 60_000;

/**
 * The engine's side of the Redis connection: whether to ask Redis now, each command timed and its failures
 * counted, logged (rate-limited) and turned into a short spell of local decisions.
 */
export class StoreLink {
  client!: RedisClient;
  private localUntil = 0;
  private up: boolean | undefined;
  private readonly loggedAt = new Map<string, number>();
  /** Called when Redis is usable again (connected, or a command succeeded after failures). */
  onRecovered: () => void = () => {};

  constructor(
    private readonly display: string,
    private readonly log: LimitsLogger,
    private readonly hooks: LimitsHooks,
  ) {}

  /** The spell of local decisions runs on the wall clock: the injected clock is for the limits' own windows. */
  available(): boolean {
    return this.client.connected && (this.localUntil === 0 || Date.now() >= this.localUntil);
  }

  run(script: Script, keys: readonly string[], args: readonly RespArg[]): Promise<RespValue> {
    return this.timed(this.client.evalScript(script, keys, args));
  }

  send(args: readonly RespArg[]): Promise<RespValue> {
    return this.timed(this.client.send(args));
  }

  /** What this turn sent goes to Redis now (see RedisClient.flushNow). */
  flush(): void {
    this.client.flushNow();
  }

  private timed(reply: Promise<RespValue>): Promise<RespValue> {
    const duration = this.hooks.storeDuration;
    if (!duration) return reply;
    const started = performance.now();
    return reply.finally(() => duration((performance.now() - started) / 1000));
  }

  /** A command failed: counted by reason, logged, and Redis left alone for a moment. */
  failed(err: unknown): void {
    const error = err instanceof RedisError ? err : new RedisError('protocol', String(err));
    this.hooks.storeError?.(error.kind);
    this.localUntil = Date.now() + LOCAL_AFTER_FAILURE_MS;
    if (error.kind === 'reply' && error.code === 'NOPERM') {
      // Connected but not allowed to run the scripts: as good as unreachable, and shown so.
      this.setUp(false);
      this.rateLimited('acl', () => this.log.error('limits_store_refused', { store: this.display, reason: 'acl', message: error.message }));
    } else if (error.kind === 'reply') {
      this.rateLimited('reply', () => this.log.warn('limits_store_error', { store: this.display, reason: 'reply', message: error.message }));
    } else if (error.kind === 'timeout' || error.kind === 'queue_full') {
      this.rateLimited('slow', () => this.log.warn('limits_store_slow', { store: this.display, reason: error.kind, message: error.message }));
    }
  }

  /** A command succeeded after local decisions: ask Redis again from now on. */
  succeeded(): void {
    if (this.localUntil === 0) return;
    this.localUntil = 0;
    this.setUp(true);
    this.onRecovered();
  }

  readonly connected = (): void => {
    this.localUntil = 0;
    this.setUp(true);
    this.log.info('limits_store_connected', { store: this.display });
    this.onRecovered();
  };

  readonly disconnected = (error: RedisError): void => {
    this.setUp(false);
    if (error.kind === 'auth') {
      this.rateLimited('auth', () => this.log.error('limits_store_refused', { store: this.display, reason: 'auth', message: error.message }));
    } else {
      this.rateLimited('unreachable', () => this.log.warn('limits_store_unreachable', { store: this.display, reason: error.kind, message: error.message }));
    }
  };

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.hooks.storeUp?.(up);
  }

  /** At most once a minute per kind of trouble. */
  private rateLimited(kind: string, write: () => void): void {
    const now = Date.now();
    const last = this.loggedAt.get(kind);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    this.loggedAt.set(kind, now);
    write();
  }

  /** The store counted as down from the start, until the first connect says otherwise. */
  start(): void {
    this.setUp(false);
  }
}
