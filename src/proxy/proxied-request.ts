import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { DeadlineSweep } from './deadlines';
import type { Client } from '../keys/key-table';
import { ProxyError, bodyTooLarge, rateLimited, requestTimeout } from '../http/errors';
import { bodyPending, sendError } from '../http/respond';
import type { LimitExceeded } from '../usage/limits';
import type { Usage } from '../usage/tap';
import { describeRequest } from '../usage/request';
import { credentialSecret, upstreamRequestHeaders } from '../http/headers';
import { closeAfter } from '../http/closing';
import { forwardInterim } from './interim';
import { GATHERED_BODY_BYTES, READ_BODY_BYTES, Upload, bodyModeOf } from './upload';
import { forwardResponse, type ForwardedResponse } from './forward-response';
import { askForUsage, mayAskForUsage, rewrittenHeaders } from './stream-usage';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { UpstreamError, badResponse, classifyUpstreamError, isReplayable, isStaleSocketError, switchedProtocols, unforwardable } from '../http/upstream-errors';
import type { Upstream } from './upstream';
import { UpstreamTimers } from './timers';
import type { UpstreamConfig } from '../config/types';
import { CredentialUse } from '../credentials/credential-use';
import { credentialUnavailable } from '../credentials/errors';
import type { Outcome } from './outcome';

export interface ProxiedRequestDeps {
  upstream: Upstream;
  upstreamConfig: UpstreamConfig;
  maxBodyBytes: number;
  metrics: Metrics;
  log: Logger;
  /** Deadlines on one shared timer: bodies being gathered, response headers being awaited. */
  deadlines: DeadlineSweep;
  /** Per-client limits: undefined admits the request. */
  admit(client: Client, stream: boolean): LimitExceeded | undefined;
  /** Called once, when the client's response is closed, whatever the outcome. */
  onEnd(outcome: Outcome): void;
}

/**
 * One proxied request: the body sent up (gathered whole, or relayed as it arrives), the response piped back,
 * the upstream timers, and one place (`fail`, `onClientClose`) that decides how it ended. What happened is kept
 * in private fields and handed over once, as a frozen Outcome, when the client's response closes.
 */
export class ProxiedRequest {
  private readonly startedAt = performance.now();
  private ttfbMs: number | undefined;
  private upstreamRequestId: string | undefined;
  /** Set once: the reason the proxy answered with an error or cut the response. */
  private error: ProxyError | undefined;
  private clientGone = false;
  private model: string | undefined;
  private stream = false;
  private admitted = false;
  private usage: Usage | undefined;
  private upstreamReq: ClientRequest | undefined;
  /** The upstream's response, once its head has arrived. */
  private upRes: IncomingMessage | undefined;
  private retried = false;
  private readonly upload: Upload;
  /** Whether the body is read so that usage can be asked for on the client's behalf (`usage.streamUsage`). */
  private readonly usageAskable: boolean;
  /** The body went up asking for a usage chunk the client did not ask for: the stream filter takes it out. */
  private askedForUsage = false;
  /** The response on its way to the client, once its head was forwarded. */
  private copy: ForwardedResponse | undefined;
  /** The key or access token the request went upstream with. */
  private sentSecret = '';
  private readonly timers: UpstreamTimers;
  private readonly onBodyStall = () => this.fail(requestTimeout());
  /** Set for a keyless client: the short-lived token this request goes with. */
  private readonly credential: CredentialUse | undefined;

  constructor(
    private readonly deps: ProxiedRequestDeps,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly client: Client,
    private readonly endpoint: string,
    private readonly upstreamPath: string,
    /** `namespace/name` when the caller proved a ServiceAccount rather than sending a key. */
    private readonly serviceAccount?: string,
  ) {
    const path = upstreamPath.split('?', 1)[0]!;
    this.usageAskable = mayAskForUsage(req, path, deps.upstreamConfig.streamUsage);
    const gatherLimit = this.usageAskable ? READ_BODY_BYTES : GATHERED_BODY_BYTES;
    this.credential = client.credential && new CredentialUse(client.credential);
    this.upload = new Upload(req, bodyModeOf(req, gatherLimit));
    this.timers = new UpstreamTimers(deps.upstreamConfig, deps.deadlines, deps.upstream.tls, (err) => this.fail(err));
  }

  start(): void {
    this.res.on('close', () => this.onClientClose());
    if (this.upload.mode !== 'whole') return this.begin();
    // No upstream socket yet to carry the idle timer: a gathered body that has not arrived within the idle
    // timeout has stalled.
    this.deps.deadlines.add(this.onBodyStall, this.deps.upstreamConfig.idleTimeoutMs);
    this.upload.gather(() => {
      this.deps.deadlines.remove(this.onBodyStall);
      if (!this.error && !this.clientGone) this.begin();
    });
  }

  /** Reads what the request says about itself, applies the client's limits, then sends it. */
  private begin(): void {
    const { whole } = this.upload;
    const described = describeRequest(this.req.headers['content-type'], whole);
    this.model = described.model;
    this.stream = described.stream;
    const refusal = this.deps.admit(this.client, this.stream);
    if (refusal) return this.fail(rateLimited(refusal.limit, refusal.retryAfterSeconds));
    this.admitted = true;
    const rewrite = this.usageAskable && whole && this.stream ? askForUsage(whole, described.json) : undefined;
    if (rewrite) {
      this.upload.whole = rewrite.body;
      this.askedForUsage = true;
    }
    this.send();
  }

  private send(): void {
    const { req } = this;
    if (this.credential && this.credential.token === undefined) return this.sendWithCredential(this.credential);
    let up: ClientRequest;
    try {
      const signing = this.credential ? this.credential.sign(this.client.upstream) : this.client.upstream;
      this.sentSecret = credentialSecret(signing.credential);
      const headers = upstreamRequestHeaders(req.headers, signing);
      const sendHeaders = this.askedForUsage ? rewrittenHeaders(headers, this.upload.whole!) : headers;
      // A retry after a stale pooled connection goes on one made for it: another pooled one may be closing too.
      up = this.deps.upstream.request(req.method!, this.upstreamPath, sendHeaders, this.retried);
    } catch (err) {
      // Node's outgoing header validation is stricter than its parser in corner cases: a 400, not a crash.
      return this.fail(new ProxyError(400, 'bad_request', 'The request has a header the proxy cannot forward.', { cause: err }));
    }
    this.upstreamReq = up;
    this.timers.track(up);
    up.on('information', (info) => {
      if (up !== this.upstreamReq) return;
      this.timers.interim();
      forwardInterim(this.res, info);
    });
    up.on('response', (upRes) => up === this.upstreamReq && this.onResponse(upRes));
    // Without a listener, Node drops an upgraded socket silently and the request would never end.
    up.on('upgrade', (_upRes, socket: Socket) => {
      socket.destroy();
      if (up === this.upstreamReq) this.fail(switchedProtocols());
    });
    up.on('error', (err) => up === this.upstreamReq && this.onUpstreamError(err));
    if (this.upload.mode !== 'stream') return void up.end(this.upload.whole);
    // Errors of this direction surface as an upstream 'error' or a client 'close'; both are handled there.
    const limit = req.headers['content-length'] === undefined ? this.deps.maxBodyBytes : Infinity;
    this.upload.streamTo(up, (chunk, first) => {
      if (first) this.model = describeRequest(req.headers['content-type'], chunk).model;
      if (this.upload.bytes > limit) this.fail(bodyTooLarge(limit));
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
    this.send();
  }

  private onResponse(upRes: IncomingMessage): void {
    this.ttfbMs = performance.now() - this.startedAt;
    this.timers.advance('streaming');
    if (this.error || this.clientGone) return void upRes.resume();
    const refused = unforwardable(upRes);
    if (refused) return this.fail(refused);
    if (upRes.statusCode === 401 && this.credential?.retryAfterUnauthorized(this.upload.mode !== 'stream')) return this.resendAfterUnauthorized(upRes);
    this.upRes = upRes;
    // Nothing sends it again from here on; a stream can stay open for minutes, and its prompt with it.
    this.upload.whole = undefined;
    const requestId = upRes.headers['x-request-id'];
    this.upstreamRequestId = typeof requestId === 'string' ? requestId : undefined;
    const json = this.req.headers['content-type']?.startsWith('application/json') === true;
    this.copy = forwardResponse(upRes, this.res, {
      method: this.req.method!,
      secret: this.sentSecret,
      askedForUsage: this.askedForUsage,
      reservation: json ? Math.ceil(this.upload.bytes / 4) : 0,
      beforeHead: (headers) => {
        if (!this.req.complete) this.answerEarly(upRes, headers);
      },
      onHeadFailed: (err) => this.fail(badResponse(err)),
    });
    if (!this.copy) return;
    upRes.on('error', (err) => this.fail(classifyUpstreamError(err, true)));
    upRes.on('end', () => {
      this.usage = this.copy!.usage();
    });
  }

  /**
   * The upstream answered before the client finished uploading (an early 413 or 401). The answer goes to the
   * client whole: the body keeps flowing upstream while the upstream takes it (so a full-duplex conversation
   * works), a failure of the upload no longer cuts the client, and once the answer is complete the rest of the
   * body is read and discarded and the connection closes the lingering way.
   */
  private answerEarly(upRes: IncomingMessage, headers: OutgoingHttpHeaders): void {
    headers.connection = 'close';
    closeAfter(this.res);
    this.upload.detach();
    upRes.once('end', () => {
      this.upload.abandon();
      // An upload cut short leaves the upstream connection mid-body: it cannot carry another request.
      if (!this.upstreamReq!.writableFinished) this.upstreamReq!.destroy();
    });
  }

  private onUpstreamError(err: NodeJS.ErrnoException): void {
    if (this.clientGone || this.error) return;
    // Once the response has begun, its own stream reports how it ends: an error here is the upload failing
    // (the upstream no longer reads the body) or the connection dying after a complete response.
    if (this.upRes) return this.upload.abandon();
    if (this.canRetry(err)) {
      this.retried = true;
      this.deps.upstream.dropIdleConnections();
      this.deps.log.debug('upstream_retry', { client: this.client.name, reason: err.code });
      this.send();
      return;
    }
    this.fail(classifyUpstreamError(err, this.ttfbMs !== undefined));
  }

  /**
   * Once, for an idempotent request we can send again whole, that failed on a reused socket before any
   * response. A POST is never sent twice: the reset may have come after the upstream began working on it.
   */
  private canRetry(err: NodeJS.ErrnoException): boolean {
    if (this.retried || this.upload.mode === 'stream' || this.ttfbMs !== undefined) return false;
    return isReplayable(this.req.method!) && this.upstreamReq!.reusedSocket && isStaleSocketError(err);
  }

  /** Answers with the error while nothing was sent, else cuts the client connection; stops the upstream. */
  private fail(err: ProxyError): void {
    if (this.error || this.clientGone) return;
    this.error = err;
    if (err instanceof UpstreamError) this.deps.metrics.upstreamErrors.with(err.reason).inc();
    this.timers.stop();
    const pending = bodyPending(this.req);
    // Destroying the upstream request below must not take the client's request (and socket) with it.
    if (!this.res.headersSent) this.upload.abandon();
    sendError(this.res, err, pending);
    this.copy?.stop();
    this.upstreamReq?.destroy();
  }

  private onClientClose(): void {
    if (!this.res.writableFinished && !this.error) {
      this.clientGone = true;
      this.upstreamReq?.destroy();
    }
    this.timers.stop();
    this.deps.deadlines.remove(this.onBodyStall);
    // A response cut short (either side gone) reported no usage: what it streamed is counted as an estimate.
    if (this.usage === undefined && this.copy) this.usage = this.copy.usage();
    this.deps.onEnd(this.outcome());
  }

  private outcome(): Outcome {
    const { req, res } = this;
    return Object.freeze({
      client: this.client.name,
      serviceAccount: this.serviceAccount,
      method: req.method!,
      endpoint: this.endpoint,
      path: this.upstreamPath,
      status: res.headersSent ? res.statusCode : 499,
      bytesIn: this.upload.bytes,
      bytesOut: this.copy?.bytesOut ?? 0,
      durationMs: performance.now() - this.startedAt,
      ttfbMs: this.ttfbMs,
      model: this.model,
      stream: this.stream,
      admitted: this.admitted,
      usage: this.usage,
      upstreamRequestId: this.upstreamRequestId,
      error: this.error,
      clientGone: this.clientGone,
    });
  }
}
