import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { UpstreamConfig } from '../config/config';
import type { DeadlineSweep } from './deadlines';
import { requestTimeout, type ProxyError } from './errors';
import { connectTimeout, firstByteTimeout, idleTimeout } from './upstream';

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
  // A deadline as well as the socket timer: the socket's idle timer restarts with every byte, so an upstream
  // sending 1xx responses or trickling its headers would never hit it.
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
    this.up = up;
    up.on('socket', (socket) => up === this.up && this.onSocket(socket as Socket));
    up.on('finish', () => up === this.up && this.advance('waiting'));
    up.on('timeout', () => up === this.up && this.onTimeout());
    up.on('close', () => up === this.up && clearTimeout(this.connectTimer));
  }

  advance(phase: Phase): void {
    if (this.phase === 'streaming') return;
    this.phase = phase;
    this.armSocketTimer();
    if (phase === 'waiting') this.deadlines.add(this.onFirstByteDeadline, this.config.firstByteTimeoutMs);
    else this.deadlines.remove(this.onFirstByteDeadline);
  }

  stop(): void {
    clearTimeout(this.connectTimer);
    this.deadlines.remove(this.onFirstByteDeadline);
  }

  private onSocket(socket: Socket): void {
    if (socket.connecting) {
      // A new socket: the agent's idle-socket timeout must not fire while it connects; our connect timer rules.
      socket.setTimeout(0);
      this.connectTimer = setTimeout(() => this.expire(connectTimeout()), this.config.connectTimeoutMs);
      socket.once(this.tls ? 'secureConnect' : 'connect', () => clearTimeout(this.connectTimer));
    }
    this.armSocketTimer();
  }

  private armSocketTimer(): void {
    const { firstByteTimeoutMs, idleTimeoutMs } = this.config;
    this.up!.setTimeout(this.phase === 'waiting' ? firstByteTimeoutMs : idleTimeoutMs);
  }

  private onTimeout(): void {
    if (this.phase === 'waiting') return this.expire(firstByteTimeout());
    if (this.phase === 'streaming') return this.expire(idleTimeout());
    // Uploading: if the upstream is not draining what we write, it stalled; otherwise the client did.
    this.expire(this.up!.writableNeedDrain ? idleTimeout() : requestTimeout());
  }
}
