import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { DeadlineSweep } from './deadlines';
import { relay } from './relay';
import type { Client } from '../keys/auth';
import { ProxyError, bodyPending, bodyTooLarge, rateLimited, requestTimeout, sendError } from './errors';
import type { Refusal } from '../usage/limits';
import { UsageTap, describeRequest, type Usage } from '../usage/tap';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { UpstreamError, badResponse, classifyUpstreamError, connectTimeout, firstByteTimeout, idleTimeout, isStaleSocketError, type Upstream } from './upstream';
import type { UpstreamConfig } from '../config/config';
import { CredentialUse } from '../identity/signing';
import { credentialUnavailable } from '../identity/errors';

export interface ExchangeDeps {
  upstream: Upstream;
  upstreamConfig: UpstreamConfig;
  maxBodyBytes: number;
  metrics: Metrics;
  log: Logger;
  /** Stall deadlines for small bodies being gathered. */
  bodyDeadlines: DeadlineSweep;
  /** Per-client limits: undefined admits the request. */
  admit(client: Client, stream: boolean): Refusal | undefined;
  /** Called once, when the client's response is closed, whatever the outcome. */
  onDone(exchange: Exchange): void;
}

/**
 * Which timer guards the upstream socket: connect (own timer), then idle while the body goes up,
 * first-byte while waiting for headers, idle again while the response streams. Never a total timeout.
 */
type Phase = 'uploading' | 'waiting' | 'streaming';

/**
 * Bodies up to this size with a Content-Length (nearly every JSON API call) are gathered and sent with one
 * `end(body)`: one write instead of a pipeline, and a request that can be replayed if a reused upstream socket
 * turns out stale. Larger and chunked bodies always stream.
 */
export const REPLAYABLE_BODY_BYTES = 64 * 1024;

type BodyMode = 'none' | 'small' | 'stream';

function bodyModeOf(req: IncomingMessage): BodyMode {
  if (req.headers['transfer-encoding'] !== undefined) return 'stream';
  const length = req.headers['content-length'];
  if (length === undefined || length === '0') return 'none';
  return Number(length) <= REPLAYABLE_BODY_BYTES ? 'small' : 'stream';
}

/** One proxied request: a relay per direction, the timers, and one place that decides how it ended. */
export class Exchange {
  readonly startedAt = performance.now();
  ttfbMs: number | undefined;
  bytesIn = 0;
  bytesOut = 0;
  upstreamRequestId: string | undefined;
  /** Set once: the reason the proxy answered with an error or cut the response. */
  error: ProxyError | undefined;
  clientGone = false;
  /** The request's `model`, as the client named it (read on the side, body untouched). */
  model: string | undefined;
  /** Whether the request asked for a stream (what `concurrentStreams` counts). */
  stream = false;
  /** Set when the request passed the client's limits, so its end releases them. */
  admitted = false;
  usage: Usage | undefined;
  private phase: Phase = 'uploading';
  private upstreamReq: ClientRequest | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private retried = false;
  private readonly bodyMode: BodyMode;
  private smallBody: Buffer | undefined;
  private readonly onBodyStall = () => this.fail(requestTimeout());
  /** Set for a keyless client: the short-lived token this request goes with. */
  private readonly credential: CredentialUse | undefined;

  constructor(
    private readonly deps: ExchangeDeps,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly client: Client,
    readonly endpoint: string,
    readonly upstreamPath: string,
    /** `namespace/name` when the caller proved a ServiceAccount rather than sending a key. */
    readonly serviceAccount?: string,
  ) {
    this.bodyMode = bodyModeOf(req);
    this.credential = client.credential && new CredentialUse(client.credential);
  }

  start(): void {
    this.res.on('close', () => this.onClientClose());
    if (this.bodyMode === 'small') this.gatherSmallBody();
    else this.begin();
  }

  /** Reads what the request says about itself, applies the client's limits, then sends it. */
  private begin(): void {
    const described = describeRequest(this.req.headers['content-type'], this.smallBody);
    this.model = described.model;
    this.stream = described.stream;
    const refusal = this.deps.admit(this.client, this.stream);
    if (refusal) return this.fail(rateLimited(refusal.limit, refusal.retryAfterSeconds));
    this.admitted = true;
    this.send();
  }

  private gatherSmallBody(): void {
    const { req } = this;
    const chunks: Buffer[] = [];
    // No upstream socket yet to carry the idle timer: a body of at most 64 KiB that has not arrived within the
    // idle timeout has stalled.
    this.deps.bodyDeadlines.add(this.onBodyStall, this.deps.upstreamConfig.idleTimeoutMs);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.deps.bodyDeadlines.remove(this.onBodyStall);
      this.smallBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      this.bytesIn = this.smallBody!.length;
      if (!this.error && !this.clientGone) this.begin();
    });
  }

  private send(): void {
    const { req } = this;
    if (this.credential && this.credential.token === undefined) return this.sendWithCredential(this.credential);
    let up: ClientRequest;
    try {
      const identity = this.credential ? this.credential.sign(this.client.upstream) : this.client.upstream;
      up = this.deps.upstream.request(req.method!, this.upstreamPath, upstreamRequestHeaders(req.headers, identity));
    } catch (err) {
      // Node's outgoing header validation is stricter than its parser in corner cases: a 400, not a crash.
      return this.fail(new ProxyError(400, 'bad_request', 'The request has a header the proxy cannot forward.', { cause: err }));
    }
    this.upstreamReq = up;
    up.on('socket', (socket) => up === this.upstreamReq && this.onSocket(socket as Socket));
    up.on('finish', () => up === this.upstreamReq && this.advance('waiting'));
    up.on('timeout', () => up === this.upstreamReq && this.onTimeout());
    up.on('response', (upRes) => up === this.upstreamReq && this.onResponse(upRes));
    up.on('error', (err) => up === this.upstreamReq && this.onUpstreamError(err));
    up.on('close', () => up === this.upstreamReq && clearTimeout(this.connectTimer));
    if (this.bodyMode !== 'stream') {
      up.end(this.smallBody);
      return;
    }
    // Errors of this direction surface as an upstream 'error' or a client 'close'; both are handled there.
    relay(req, up, () => {});
    const limit = req.headers['content-length'] === undefined ? this.deps.maxBodyBytes : Infinity;
    req.on('data', (chunk: Buffer) => {
      if (this.bytesIn === 0) this.model = describeRequest(req.headers['content-type'], chunk).model;
      this.bytesIn += chunk.length;
      if (this.bytesIn > limit) this.fail(bodyTooLarge(limit));
    });
  }

  /** No credential yet (the first is late, or the last was just dropped): 503, nothing sent upstream. */
  private sendWithCredential(credential: CredentialUse): void {
    void credential.acquire().then((ok) => {
      if (this.error || this.clientGone) return;
      if (ok) this.send();
      else this.fail(credentialUnavailable());
    });
  }

  /** A replayable request refused with the credential it carried goes once more, with the next credential. */
  private resendAfterUnauthorized(upRes: IncomingMessage): void {
    upRes.resume();
    this.deps.log.debug('upstream_retry', { client: this.client.name, reason: 'unauthorized' });
    this.upstreamReq = undefined;
    this.ttfbMs = undefined;
    this.phase = 'uploading';
    this.send();
  }

  private onSocket(socket: Socket): void {
    if (socket.connecting) {
      // A new socket: the agent's idle-socket timeout must not fire while it connects; our connect timer rules.
      socket.setTimeout(0);
      this.connectTimer = setTimeout(() => this.fail(connectTimeout()), this.deps.upstreamConfig.connectTimeoutMs);
      socket.once(this.deps.upstream.tls ? 'secureConnect' : 'connect', () => clearTimeout(this.connectTimer));
    }
    this.armTimer();
  }

  private advance(phase: Phase): void {
    if (this.phase === 'streaming') return;
    this.phase = phase;
    this.armTimer();
  }

  private armTimer(): void {
    const { firstByteTimeoutMs, idleTimeoutMs } = this.deps.upstreamConfig;
    this.upstreamReq!.setTimeout(this.phase === 'waiting' ? firstByteTimeoutMs : idleTimeoutMs);
  }

  private onTimeout(): void {
    if (this.phase === 'waiting') return this.fail(firstByteTimeout());
    if (this.phase === 'streaming') return this.fail(idleTimeout());
    // Uploading: if the upstream is not draining what we write, it stalled; otherwise the client did.
    this.fail(this.upstreamReq!.writableNeedDrain ? idleTimeout() : requestTimeout());
  }

  private onResponse(upRes: IncomingMessage): void {
    this.ttfbMs = performance.now() - this.startedAt;
    this.advance('streaming');
    if (this.error || this.clientGone) {
      upRes.resume();
      return;
    }
    if (upRes.statusCode === 401 && this.credential?.retryAfterUnauthorized(this.bodyMode !== 'stream')) return this.resendAfterUnauthorized(upRes);
    const requestId = upRes.headers['x-request-id'];
    this.upstreamRequestId = typeof requestId === 'string' ? requestId : undefined;
    try {
      this.res.writeHead(upRes.statusCode ?? 502, clientResponseHeaders(upRes.headers));
    } catch (err) {
      upRes.resume();
      return this.fail(badResponse(err));
    }
    // No relay here: the outcome rules are already in place. A client that leaves closes `res`, which destroys
    // the upstream request (onClientClose); an upstream failure errors `upRes`, which cuts the client (fail).
    upRes.on('error', (err) => this.onUpstreamError(err));
    upRes.pipe(this.res);
    // Registered after pipe's own listener, so each chunk is on its way to the client before the tap reads it.
    const tap = new UsageTap(upRes.headers['content-type'], upRes.headers['content-encoding']);
    upRes.on('data', (chunk: Buffer) => {
      this.bytesOut += chunk.length;
      tap.write(chunk);
    });
    upRes.on('end', () => (this.usage = tap.end()));
  }

  private onUpstreamError(err: NodeJS.ErrnoException): void {
    if (this.clientGone || this.error) return;
    if (this.canRetry(err)) {
      this.retried = true;
      this.deps.log.debug('upstream_retry', { client: this.client.name, reason: err.code });
      this.send();
      return;
    }
    this.fail(classifyUpstreamError(err, this.ttfbMs !== undefined));
  }

  /** Once, for a request we can send again whole, that failed on a reused socket before any response. */
  private canRetry(err: NodeJS.ErrnoException): boolean {
    return !this.retried && this.bodyMode !== 'stream' && this.ttfbMs === undefined && this.upstreamReq!.reusedSocket && isStaleSocketError(err);
  }

  /** Answers with the error while nothing was sent, else cuts the client connection; stops the upstream. */
  fail(err: ProxyError): void {
    if (this.error || this.clientGone) return;
    this.error = err;
    if (err instanceof UpstreamError) this.deps.metrics.upstreamErrors.with(err.reason).inc();
    clearTimeout(this.connectTimer);
    sendError(this.res, err, bodyPending(this.req));
    this.upstreamReq?.destroy();
  }

  private onClientClose(): void {
    if (!this.res.writableFinished && !this.error) {
      this.clientGone = true;
      this.upstreamReq?.destroy();
    }
    clearTimeout(this.connectTimer);
    this.deps.bodyDeadlines.remove(this.onBodyStall);
    this.deps.onDone(this);
  }
}
