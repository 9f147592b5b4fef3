import type { Duplex } from 'node:stream';
import { encodeCloseFrame } from './close-frame';
import { negotiatedExtensions } from './extensions';
import { CLOSE } from './frames';
import { ServerMessageReader, type UnreadReason } from './messages';
import { Pipe, type PipeOwner } from './pipe';
import { SessionSweep, type Sweepable } from './sweep';

/**
 * A WebSocket session once both sides have switched protocols: bytes relayed both ways as they came, the
 * server's messages read on the side, and the session's end decided in one place. Whoever goes first (a close
 * handshake, a FIN, a reset, the proxy itself), the other side is closed at once and `onEnd` hears it once.
 */

export type Side = 'client' | 'upstream' | 'proxy';
export type EndCause = 'close_handshake' | 'went_away' | 'idle_timeout' | 'proxy_close';

export interface SessionOptions {
  client: Duplex;
  /** Bytes the client sent after its upgrade request (the server's 'upgrade' event `head`). */
  clientHead: Buffer;
  upstream: Duplex;
  /** Bytes the upstream sent after its 101 (the request's 'upgrade' event `head`). */
  upstreamHead: Buffer;
  /** The upstream 101's `Sec-WebSocket-Extensions`, as received. */
  extensions: string | string[] | undefined;
  /** Silence both ways for this long closes the session (1001 `idle_timeout`); 0 never. */
  idleTimeoutMs: number;
  /** How long peers get to answer a close frame (or to close their socket) before theirs is destroyed. */
  closeTimeoutMs?: number;
  sweep?: SessionSweep;
  /** Each complete text message from the upstream. Must not throw. */
  onServerMessage(text: string): void;
  /** A server message that was not read (`stopped` false: too large), or reading stopped for good. */
  onUnreadable(reason: UnreadReason, stopped: boolean): void;
  onEnd(outcome: SessionOutcome): void;
}

export interface DirectionCount {
  readonly bytes: number;
  readonly messages: number;
}

export interface SessionOutcome {
  readonly endedBy: Side;
  readonly cause: EndCause;
  /** Close codes each side sent (1005 for a close frame without one), and the proxy's own. */
  readonly closeCodes: { readonly client?: number; readonly upstream?: number; readonly proxy?: number };
  /** A side that neither answered nor closed in time had its socket destroyed. */
  readonly forced: boolean;
  readonly errors: { readonly client?: string; readonly upstream?: string };
  readonly fromClient: DirectionCount;
  readonly fromUpstream: DirectionCount;
  readonly reading: { readonly stopped: UnreadReason | undefined; readonly unreadMessages: number };
}

export interface Session {
  /** Sends close `code` to both sides at the next frame boundary of each direction, then ends the session. */
  close(code: number, reason?: string): void;
  /** Counts so far, for metrics while the session runs. */
  counts(): { fromClient: DirectionCount; fromUpstream: DirectionCount };
  readonly ended: boolean;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
let sharedSweep: SessionSweep | undefined;

/** The sweep every session shares unless it is given its own, made with the first session. */
function sessionsSweep(): SessionSweep {
  sharedSweep ??= new SessionSweep();
  return sharedSweep;
}

export function startSession(options: SessionOptions): Session {
  return new RelaySession(options);
}

class RelaySession implements Session, PipeOwner, Sweepable {
  private readonly toUpstream: Pipe;
  private readonly toClient: Pipe;
  private readonly reader: ServerMessageReader;
  private readonly sweep: SessionSweep;
  private state: 'open' | 'closing' | 'ended' = 'open';
  private endedBy: Side | undefined;
  private cause: EndCause = 'went_away';
  private proxyCode: number | undefined;
  private lastActivity: number;
  private deadline = 0;
  private forced = false;
  private clientClosed = false;
  private upstreamClosed = false;
  private clientError: string | undefined;
  private upstreamError: string | undefined;

  constructor(private readonly options: SessionOptions) {
    const { client, upstream } = options;
    const extensions = negotiatedExtensions(options.extensions);
    this.reader = new ServerMessageReader(extensions.deflate, { onMessage: options.onServerMessage, onUnreadable: options.onUnreadable });
    this.toUpstream = new Pipe(client, upstream, undefined, this);
    this.toClient = new Pipe(upstream, client, this.reader, this);
    this.sweep = options.sweep ?? sessionsSweep();
    this.lastActivity = this.sweep.now();
    this.sweep.add(this);
    this.report = this.report.bind(this);
    client.on('data', this.toUpstream.onData).on('drain', this.toClient.onDrain);
    upstream.on('data', this.toClient.onData).on('drain', this.toUpstream.onDrain);
    client.on('end', this.onClientGone.bind(this)).on('close', this.onClientClose.bind(this));
    upstream.on('end', this.onUpstreamGone.bind(this)).on('close', this.onUpstreamClose.bind(this));
    client.on('error', (error: NodeJS.ErrnoException) => (this.clientError ??= error.code ?? 'error'));
    upstream.on('error', (error: NodeJS.ErrnoException) => (this.upstreamError ??= error.code ?? 'error'));
    noDelay(client);
    noDelay(upstream);
    if (extensions.unreadable !== undefined) this.reader.refuse(extensions.unreadable);
    client.resume();
    upstream.resume();
    if (options.upstreamHead.length > 0) this.toClient.onData(options.upstreamHead);
    if (options.clientHead.length > 0) this.toUpstream.onData(options.clientHead);
    if (client.destroyed) process.nextTick(() => this.onClientClose());
    if (upstream.destroyed) process.nextTick(() => this.onUpstreamClose());
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  close(code: number, reason = ''): void {
    if (this.state === 'ended' || this.proxyCode !== undefined) return;
    this.proxyCode = code;
    this.settle('proxy', 'proxy_close');
    this.toClient.closeWith(encodeCloseFrame(code, reason, false));
    this.toUpstream.closeWith(encodeCloseFrame(code, reason, true));
  }

  counts(): { fromClient: DirectionCount; fromUpstream: DirectionCount } {
    return { fromClient: countOf(this.toUpstream), fromUpstream: countOf(this.toClient) };
  }

  activity(): void {
    this.lastActivity = this.sweep.now();
  }

  closeProgress(pipe: Pipe): void {
    if (pipe.sourceClosed) this.settle(pipe === this.toUpstream ? 'client' : 'upstream', 'close_handshake');
    const done = (p: Pipe) => p.closeForwarded && (p.sourceClosed || p.sourceDone);
    if (done(this.toUpstream) && done(this.toClient)) this.endBoth();
  }

  checkDeadlines(now: number): void {
    if (this.state === 'open') {
      const idle = this.options.idleTimeoutMs;
      if (idle > 0 && now - this.lastActivity >= idle) {
        this.close(CLOSE.goingAway, 'idle_timeout');
        this.cause = 'idle_timeout';
      }
    } else if (this.state === 'closing' && now >= this.deadline) {
      this.forced = true;
      this.options.client.destroy();
      this.options.upstream.destroy();
    }
  }

  /** The first to end the session names it; the session then has `closeTimeoutMs` to finish. */
  private settle(side: Side, cause: EndCause): void {
    if (this.endedBy === undefined) {
      this.endedBy = side;
      this.cause = cause;
    }
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.deadline = this.sweep.now() + (this.options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
  }

  private endBoth(): void {
    this.toUpstream.endSink();
    this.toClient.endSink();
  }

  private onClientGone(): void {
    this.toUpstream.sourceDone = true;
    this.settle('client', 'went_away');
    this.endBoth();
  }

  private onUpstreamGone(): void {
    this.toClient.sourceDone = true;
    this.settle('upstream', 'went_away');
    this.endBoth();
  }

  private onClientClose(): void {
    if (this.clientClosed) return;
    this.clientClosed = true;
    this.onClientGone();
    if (this.upstreamClosed) this.finish();
  }

  private onUpstreamClose(): void {
    if (this.upstreamClosed) return;
    this.upstreamClosed = true;
    this.onUpstreamGone();
    if (this.clientClosed) this.finish();
  }

  private finish(): void {
    this.state = 'ended';
    this.sweep.remove(this);
    this.reader.whenIdle(this.report);
  }

  private report(): void {
    this.reader.close();
    const codes: { client?: number; upstream?: number; proxy?: number } = {};
    if (this.toUpstream.sourceClosed) codes.client = this.toUpstream.scanner.closeCode;
    if (this.toClient.sourceClosed) codes.upstream = this.toClient.scanner.closeCode;
    if (this.proxyCode !== undefined) codes.proxy = this.proxyCode;
    const errors: { client?: string; upstream?: string } = {};
    if (this.clientError !== undefined) errors.client = this.clientError;
    if (this.upstreamError !== undefined) errors.upstream = this.upstreamError;
    this.options.onEnd(
      Object.freeze({
        endedBy: this.endedBy ?? 'proxy',
        cause: this.cause,
        closeCodes: Object.freeze(codes),
        forced: this.forced,
        errors: Object.freeze(errors),
        ...this.counts(),
        reading: Object.freeze({ stopped: this.reader.stopped, unreadMessages: this.reader.unreadMessages }),
      }),
    );
  }
}

function countOf(pipe: Pipe): DirectionCount {
  return Object.freeze({ bytes: pipe.bytes, messages: pipe.scanner.messages });
}

function noDelay(socket: Duplex): void {
  const setNoDelay = (socket as { setNoDelay?: (on: boolean) => unknown }).setNoDelay;
  if (typeof setNoDelay === 'function') setNoDelay.call(socket, true);
}
