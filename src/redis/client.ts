import type { Duplex } from 'node:stream';
import { RedisError, asConnectError, closedError } from './errors';
import { Fifo } from './fifo';
import { handshake, type Credentials } from './handshake';
import { RespParser, encodeCommand, type RespArg, type RespValue } from './resp';
import type { Script } from './script';
import { socketOpener, type OpenSocket } from './socket';
import { parseRedisUrl, type RedisEndpoint } from './url';

export interface RedisClientHooks {
  /** The connection is ready: HELLO (and SELECT) answered. */
  connected?(): void;
  /** A ready connection was lost, or a connect attempt failed: called for every failure, also while down. */
  disconnected?(error: RedisError): void;
}

export interface RedisClientOptions extends Credentials {
  /** `redis://...` or `rediss://...`; a function is called at each connect (a URL from a rotated secret). */
  url: string | (() => string);
  /** For rediss://: the CA to trust instead of Node's (re-read at each connect). */
  caFile?: string;
  /** A command's deadline, from the call to its reply (default 1000). */
  timeoutMs?: number;
  /** TCP + TLS + HELLO (default 2000). */
  connectTimeoutMs?: number;
  /** Commands waiting or in flight, at most (default 10,000); more are refused with `queue_full`. */
  maxQueue?: number;
  /** Reconnect delay: the first, doubled after each failure up to the last, each jittered (default 100 and 5000). */
  backoff?: { firstMs: number; maxMs: number };
  hooks?: RedisClientHooks;
  /** The byte stream to Redis (default TCP or TLS as the URL says); tests give a fake. */
  openSocket?: OpenSocket;
}

interface Command {
  args: readonly RespArg[];
  deadline: number;
  settled: boolean;
  resolve(value: RespValue): void;
  reject(error: RedisError): void;
}

type State = 'connecting' | 'ready' | 'down' | 'closed';

/**
 * One connection to Redis, pipelined: commands are written back to back (those of one event-loop turn in one
 * write) and replies matched in order. Commands wait while disconnected, up to their deadline. The deadline
 * timer is one for the whole client, armed at the oldest command's deadline, never one per command.
 */
export class RedisClient {
  private state: State = 'connecting';
  private socket: Duplex | undefined;
  private lastError: RedisError | undefined;
  private readonly waiting = new Fifo<Command>();
  private readonly inflight = new Fifo<Command>();
  /** Every unsettled command, in the order of their deadlines (one timeout for all, so call order). */
  private readonly deadlines = new Fifo<Command>();
  private flushScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxQueue: number;
  /** A reply this late means a dead socket (a half-open TCP connection would hold every command forever). */
  private readonly staleMs: number;
  private readonly open: OpenSocket;

  constructor(private readonly options: RedisClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.staleMs = Math.max(5000, 10 * this.timeoutMs);
    this.open = options.openSocket ?? socketOpener(options.caFile);
    void this.connect();
  }

  /** Whether commands are being sent now (a connection with its handshake done). */
  get connected(): boolean {
    return this.state === 'ready';
  }

  /** Commands waiting to be written or awaiting their reply (timed-out ones included until their reply). */
  get queued(): number {
    return this.waiting.length + this.inflight.length;
  }

  send(args: readonly RespArg[]): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      if (this.state === 'closed') return reject(new RedisError('closed', 'the Redis client is closed'));
      if (this.queued >= this.maxQueue) return reject(new RedisError('queue_full', `more than ${this.maxQueue} Redis commands waiting or in flight`));
      const command: Command = { args, deadline: Date.now() + this.timeoutMs, settled: false, resolve, reject };
      this.waiting.push(command);
      this.deadlines.push(command);
      this.armTimer(command.deadline);
      if (this.state === 'ready' && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Writes what waits now: for a caller gathering commands in a setImmediate (else written a turn later). */
  flushNow(): void {
    if (this.flushScheduled) this.flush();
  }

  /** EVALSHA, and once more as EVAL when Redis does not have the script (restarted, SCRIPT FLUSH, failover). */
  evalScript(script: Script, keys: readonly string[], args: readonly RespArg[]): Promise<RespValue> {
    return this.send(['EVALSHA', script.sha1, keys.length, ...keys, ...args]).catch((err: RedisError) => {
      if (err.kind !== 'reply' || err.code !== 'NOSCRIPT') throw err;
      return this.send(['EVAL', script.source, keys.length, ...keys, ...args]);
    });
  }

  /** Rejects what is waiting or in flight with `closed` and closes the connection; no reconnect after. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.timer);
    const closed = new RedisError('closed', 'the Redis client was closed');
    this.rejectAll(this.inflight, closed);
    this.rejectAll(this.waiting, closed);
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    // Nothing is left to read: what was in flight is rejected already.
    await new Promise<void>((resolve) => socket.destroy().once('close', resolve));
  }

  private async connect(): Promise<void> {
    this.state = 'connecting';
    try {
      const endpoint = this.endpoint();
      const socket = await this.open(endpoint, this.connectTimeoutMs);
      if ((this.state as State) === 'closed') return void socket.destroy();
      this.attach(socket);
      const guard = setTimeout(
        () => socket.destroy(new RedisError('connect', `Redis did not answer HELLO within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      try {
        socket.cork(); // HELLO and SELECT in one write
        const done = handshake((args) => this.sendNow(args), endpoint, this.options);
        socket.uncork();
        await done;
      } finally {
        clearTimeout(guard);
      }
    } catch (err) {
      return this.connectFailed(err);
    }
    if (this.state !== 'connecting') return;
    this.state = 'ready';
    this.failures = 0;
    this.lastError = undefined;
    this.options.hooks?.connected?.();
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private endpoint(): RedisEndpoint {
    const url = typeof this.options.url === 'function' ? this.options.url() : this.options.url;
    const parsed = parseRedisUrl(url);
    if ('problem' in parsed) throw new RedisError('connect', `the Redis URL ${parsed.problem}`);
    return parsed.endpoint;
  }

  /** The handshake's commands go ahead of everything waiting, written at once. */
  private sendNow(args: readonly RespArg[]): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      const command: Command = { args, deadline: Infinity, settled: false, resolve, reject };
      const parts: string[] = [];
      encodeCommand(parts, args);
      this.inflight.push(command);
      this.socket?.write(parts.join(''));
    });
  }

  private attach(socket: Duplex): void {
    this.socket = socket;
    const parser = new RespParser(this.onReply);
    let failure: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.feed(chunk);
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
    socket.on('error', (err: Error) => (failure ??= err));
    socket.on('end', () => socket.destroy());
    socket.on('close', () => this.lost(socket, failure, parser.partial > 0));
  }

  private connectFailed(err: unknown): void {
    const error = err instanceof RedisError && err.kind === 'auth' ? err : asConnectError(err);
    if (this.socket) {
      const socket = this.socket;
      this.socket = undefined;
      socket.destroy();
    }
    this.rejectAll(this.inflight, new RedisError('closed', 'the connection to Redis closed before the reply', { cause: error }));
    if (this.state === 'closed') return;
    this.state = 'down';
    this.lastError = error;
    this.options.hooks?.disconnected?.(error);
    this.scheduleReconnect();
  }

  private lost(socket: Duplex, failure: Error | undefined, midReply: boolean): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    const cause = closedError(failure, midReply);
    const wasReady = this.state === 'ready';
    this.rejectAll(
      this.inflight,
      new RedisError(cause.kind === 'protocol' ? 'protocol' : 'closed', `the connection to Redis closed before the reply: ${cause.message}`, { cause }),
    );
    if (!wasReady) return; // a handshake in progress: connect() sees its command rejected and reports it
    this.state = 'down';
    this.lastError = cause;
    this.options.hooks?.disconnected?.(cause);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const { firstMs, maxMs } = this.options.backoff ?? { firstMs: 100, maxMs: 5000 };
    const delay = Math.min(maxMs, firstMs * 2 ** Math.min(this.failures++, 20));
    // Not unref'd: a client keeps the process alive until closed, connected (its socket) or not (this timer).
    this.reconnectTimer = setTimeout(() => void this.connect(), delay / 2 + (Math.random() * delay) / 2);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.state !== 'ready' || !this.socket) return;
    const parts: string[] = [];
    for (let command = this.waiting.shift(); command; command = this.waiting.shift()) {
      if (command.settled) continue; // timed out while waiting: never sent
      encodeCommand(parts, command.args);
      this.inflight.push(command);
    }
    if (parts.length > 0) this.socket.write(parts.length === 1 ? parts[0]! : parts.join(''));
  };

  private readonly onReply = (value: RespValue): void => {
    const command = this.inflight.shift();
    if (!command) return void this.socket?.destroy(new RedisError('protocol', 'Redis sent a reply to no command'));
    if (command.settled) return; // its deadline passed; the reply is consumed so the next one matches
    command.settled = true;
    // Out of the deadline queue now: held to the next deadline, answered commands outlive young collections.
    while (this.deadlines.peek()?.settled) this.deadlines.shift();
    if (value instanceof RedisError) command.reject(value);
    else command.resolve(value);
  };

  private armTimer(at: number): void {
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - Date.now()));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    for (let command = this.deadlines.peek(); command; command = this.deadlines.peek()) {
      if (!command.settled && command.deadline > now) break;
      this.deadlines.shift();
      if (command.settled) continue;
      command.settled = true;
      command.reject(this.deadlineError());
    }
    while (this.waiting.peek()?.settled) this.waiting.shift(); // so commands that timed out while down free their places
    const oldest = this.inflight.peek();
    if (oldest && oldest.deadline + this.staleMs <= now) {
      this.socket?.destroy(new RedisError('timeout', `no reply from Redis for ${this.staleMs} ms: reconnecting`));
    }
    const next = Math.min(this.deadlines.peek()?.deadline ?? Infinity, oldest ? oldest.deadline + this.staleMs : Infinity);
    if (next !== Infinity) this.armTimer(next);
  };

  private deadlineError(): RedisError {
    if (this.state === 'ready') return new RedisError('timeout', `no reply from Redis within ${this.timeoutMs} ms`);
    const last = this.lastError;
    const kind = last?.kind === 'auth' ? 'auth' : 'connect';
    return new RedisError(kind, `no connection to Redis within ${this.timeoutMs} ms${last ? `: ${last.message}` : ''}`, { cause: last });
  }

  private rejectAll(queue: Fifo<Command>, error: RedisError): void {
    for (const command of queue.drain()) {
      if (command.settled) continue;
      command.settled = true;
      command.reject(error);
    }
  }
}
