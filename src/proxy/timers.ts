import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { UpstreamConfig } from '../config/types';
import type { DeadlineSweep } from './deadlines';
import { requestTimeout, type ProxyError } from '../http/errors';
import { connectTimeout, firstByteTimeout, idleTimeout } from '../http/upstream-errors';

/** Where an upstream request is: its body going up, waiting for the response head, the response streaming. */
export type Phase = 'uploading' | 'waiting' | 'streaming';

/**
 * The timers of one upstream request: connect (its own timer), then the socket's idle timer while the body
 * goes up, the first-byte timeout while the response head is awaited, idle again while the response streams.
 * Never a total timeout.
 */
export class UpstreamTimers {
  phase: Phase = 'uploading';
  private up: ClientRequest | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private waitingSince = 0;
  /** The socket timeout last set for this request, so a phase change that keeps it costs nothing. */
  private armedMs: number | undefined;
  private interimSeen = false;
  private readonly onFirstByteDeadline = () => this.expire(firstByteTimeout());

  constructor(
    private readonly config: UpstreamConfig,
    private readonly deadlines: DeadlineSweep,
    private readonly tls: boolean,
    private readonly expire: (err: ProxyError) => void,
  ) {}

  /** Watches a new upstream request (the first, or one sent again): its timers start over. */
  track(up: ClientRequest): void {
    this.stop();
    this.phase = 'uploading';
    this.interimSeen = false;
    this.armedMs = undefined;
    this.up = up;
    up.on('socket', (socket) => up === this.up && this.onSocket(socket as Socket));
    up.on('finish', () => up === this.up && this.advance('waiting'));
    up.on('timeout', () => up === this.up && this.onTimeout());
  }

  advance(phase: Phase): void {
    if (this.phase === 'streaming') return;
    this.phase = phase;
    this.armSocketTimer();
    if (phase === 'waiting') this.waitingSince = Date.now();
    else if (this.interimSeen) this.deadlines.remove(this.onFirstByteDeadline);
  }

  /**
   * A 1xx response restarts the socket's idle timer, so an upstream sending `102 Processing` forever would never
   * hit it: from the first one on, the first-byte timeout is also a deadline. Only then, because a deadline held
   * by every request for its whole wait keeps the request reachable across garbage collections, and that cost
   * about a tenth of the CPU per request.
   */
  interim(): void {
    if (this.interimSeen || this.phase === 'streaming') return;
    this.interimSeen = true;
    const waited = this.phase === 'waiting' ? Date.now() - this.waitingSince : 0;
    this.deadlines.add(this.onFirstByteDeadline, Math.max(0, this.config.firstByteTimeoutMs - waited));
  }

  stop(): void {
    clearTimeout(this.connectTimer);
    if (this.interimSeen) this.deadlines.remove(this.onFirstByteDeadline);
  }

  private onSocket(socket: Socket): void {
    if (socket.connecting) {
      // A new socket: the agent's idle-socket timeout must not fire while it connects; our connect timer rules.
      socket.setTimeout(0);
      const up = this.up!;
      this.connectTimer = setTimeout(() => this.expire(connectTimeout()), this.config.connectTimeoutMs);
      socket.once(this.tls ? 'secureConnect' : 'connect', () => clearTimeout(this.connectTimer));
      // Only a connecting socket has a connect timer to clear: a pooled one (nearly every request) needs no listener.
      up.once('close', () => up === this.up && clearTimeout(this.connectTimer));
    }
    this.armSocketTimer();
  }

  /**
   * Setting a socket timeout replaces its timer with a new one. Setting the one already set is skipped: the
   * socket restarts its idle timer on every read and write anyway, and a phase change happens on one (the body
   * written, the response head read). With the defaults (first-byte and idle both 10 minutes) that is every
   * change after the first.
   */
  private armSocketTimer(): void {
    const { firstByteTimeoutMs, idleTimeoutMs } = this.config;
    const ms = this.phase === 'waiting' ? firstByteTimeoutMs : idleTimeoutMs;
    if (ms === this.armedMs) return;
    this.armedMs = ms;
    this.up!.setTimeout(ms);
  }

  private onTimeout(): void {
    if (this.phase === 'waiting') return this.expire(firstByteTimeout());
    if (this.phase === 'streaming') return this.expire(idleTimeout());
    // Uploading: if the upstream is not draining what we write, it stalled; otherwise the client did.
    this.expire(this.up!.writableNeedDrain ? idleTimeout() : requestTimeout());
  }
}
