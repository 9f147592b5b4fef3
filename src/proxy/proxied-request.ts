import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FallbackOn } from '../config/types';
import { credentialUnavailable } from '../credentials/errors';
import { closeAfter } from '../http/closing';
import { ProxyError, bodyTooLarge, requestTimeout } from '../http/errors';
import { bodyPending, sendError } from '../http/respond';
import { UpstreamError, badResponse, classifyUpstreamError, isReplayable, isStaleSocketError, unforwardable } from '../http/upstream-errors';
import type { Client } from '../keys/key-table';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { NO_SPEND, type Ticket } from '../limits';
import { describeRequest } from '../usage/request';
import type { Usage } from '../usage/tap';
import { type AdmissionDeps, admitTo, modelRefusal } from './admission';
import { Attempt, type AttemptOwner } from './attempt';
import type { DeadlineSweep } from './deadlines';
import { type ForwardedResponse, forwardResponse } from './forward-response';
import type { Outcome } from './outcome';
import { RequestBody } from './request-body';
import type { Upstream } from './upstream';
import { type Hop, UpstreamChain, reasonOfFailure, reasonOfStatus } from './upstream-chain';

export interface ProxiedRequestDeps {
  /** Every upstream by name: the primary and the fallbacks. */
  upstreams: ReadonlyMap<string, Upstream>;
  fallbackOn: FallbackOn;
  fallbackBodyLimitBytes: number;
  maxBodyBytes: number;
  metrics: Metrics;
  log: Logger;
  /** Deadlines on one shared timer: bodies being gathered, response headers being awaited. */
  deadlines: DeadlineSweep;
  /** The clients' limits, asked once per request. */
  admission: AdmissionDeps;
  /** Called once, when the client's response is closed, whatever the outcome; with the ticket of an admitted request. */
  onEnd(outcome: Outcome, ticket: Ticket | undefined): void;
}

/**
 * One proxied request: its body (gathered whole, or relayed as it arrives), one attempt after another along the
 * client's chain of upstreams until one answers, that answer piped back, and one place (`fail`, `onClientClose`)
 * that decides how it ended. What happened is kept in private fields and handed over once, as a frozen Outcome,
 * when the client's response closes.
 */
export class ProxiedRequest implements AttemptOwner {
  private readonly startedAt = performance.now();
  private ttfbMs: number | undefined;
  private upstreamRequestId: string | undefined;
  /** Set once: the reason the proxy answered with an error or cut the response. */
  private error: ProxyError | undefined;
  private clientGone = false;
  private model: string | undefined;
  private stream = false;
  private admitted = false;
  /** What the client's limits reserved for it: settled with its usage when it ends. */
  private ticket: Ticket | undefined;
  private usage: Usage | undefined;
  /** The attempt whose response (if any) is the one the client gets. */
  private attempt: Attempt | undefined;
  /** Set once a response head went to the client: nothing is sent again from then on. */
  private answered = false;
  private staleRetried = false;
  private readonly chain: UpstreamChain;
  private readonly body: RequestBody;
  /** The response on its way to the client, once its head was forwarded. */
  private copy: ForwardedResponse | undefined;
  private readonly onBodyStall = () => this.fail(requestTimeout());

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
    this.chain = new UpstreamChain(client.chain, deps.upstreams, deps.metrics);
    this.body = new RequestBody(
      req,
      upstreamPath.split('?', 1)[0]!,
      client.chain,
      deps.upstreams,
      deps.fallbackBodyLimitBytes,
      client.allowedModels !== undefined,
    );
  }

  start(): void {
    this.res.on('close', () => this.onClientClose());
    // No upstream socket yet to carry the idle timer: a body being read that has not arrived within the idle
    // timeout has stalled.
    const stall = { deadlines: this.deps.deadlines, onStall: this.onBodyStall, ms: this.firstRoute().config.idleTimeoutMs };
    this.body.read(this.client.allowedModels !== undefined, stall, (head) => !this.error && !this.clientGone && this.begin(head));
  }

  /** Reads what the request says about itself (`head`: the start of a streamed body), applies the client's limits, then sends it. */
  private begin(head: Buffer | undefined): void {
    const described = describeRequest(this.req.headers['content-type'], this.body.upload.whole ?? head);
    this.model = described.model;
    this.stream = described.stream;
    this.body.described(described);
    const refusal = modelRefusal(this.client.allowedModels, this.body.upload.mode !== 'none', described.model);
    if (refusal) return this.fail(refusal);
    const verdict = admitTo(this.deps.admission, this.client.name, { stream: this.stream, tokens: this.body.reservation, model: this.model });
    if (verdict instanceof Promise) void verdict.then((v) => this.onAdmission(v));
    else this.onAdmission(verdict);
  }

  private onAdmission(verdict: Ticket | ProxyError): void {
    if (verdict instanceof ProxyError) return this.fail(verdict);
    // The client left while the store decided: nothing was used.
    if (this.error || this.clientGone) return verdict.end(NO_SPEND);
    this.ticket = verdict;
    this.admitted = true;
    this.sendTo(this.chain.first(Date.now()));
  }

  private firstRoute(): Upstream {
    return this.deps.upstreams.get(this.client.chain[0]!.upstream)!;
  }

  private sendTo(hop: Hop, again?: Attempt): void {
    const attempt = again ?? new Attempt(hop.route, hop.target, this, this.deps.deadlines);
    this.attempt = attempt;
    this.ttfbMs = undefined;
    if (attempt.credential && attempt.credential.token === undefined) return this.sendWithCredential(attempt);
    try {
      // A retry after a stale pooled connection goes on one made for it: another pooled one may be closing too.
      const up = attempt.send(this.req, this.res, this.upstreamPath, this.body.forUpstream(hop.route.config), this.staleRetried);
      if (this.body.upload.mode === 'stream') this.streamBody(up);
      else up.end(this.body.sending);
    } catch (err) {
      this.fail(err as ProxyError);
    }
  }

  private streamBody(up: ClientRequest): void {
    // Errors of this direction surface as an upstream 'error' or a client 'close'; both are handled there.
    const limit = this.req.headers['content-length'] === undefined ? this.deps.maxBodyBytes : Infinity;
    this.body.upload.streamTo(up, (chunk, first) => {
      if (first) this.model = describeRequest(this.req.headers['content-type'], chunk).model;
      if (this.body.upload.bytes > limit) this.fail(bodyTooLarge(limit));
    });
  }

  /** No credential yet (the first is late, or none could be had): 503, nothing sent upstream. */
  private sendWithCredential(attempt: Attempt): void {
    void attempt.credential!.acquire().then((ok) => {
      if (this.error || this.clientGone || attempt !== this.attempt) return;
      if (ok) return this.sendTo(this.chain.current, attempt);
      if (!this.moveOn('credential')) this.fail(credentialUnavailable());
    });
  }

  onResponse(attempt: Attempt, upRes: IncomingMessage): void {
    if (attempt !== this.attempt) return void upRes.resume();
    this.ttfbMs = performance.now() - this.startedAt;
    attempt.timers.advance('streaming');
    if (this.error || this.clientGone) return void upRes.resume();
    const refused = unforwardable(upRes);
    if (refused) return this.onFailure(attempt, refused);
    if (upRes.statusCode === 401 && attempt.credential?.retryAfterUnauthorized(this.body.resendable)) {
      upRes.resume();
      this.deps.log.debug('upstream_retry', { client: this.client.name, reason: 'unauthorized' });
      return this.sendTo(this.chain.current, attempt.again(this, this.deps.deadlines));
    }
    const reason = reasonOfStatus(upRes, this.deps.fallbackOn);
    if (reason && this.moveOn(reason, upRes)) return void upRes.resume();
    this.forward(attempt, upRes);
  }

  private forward(attempt: Attempt, upRes: IncomingMessage): void {
    this.answered = true;
    this.chain.answered();
    // Nothing sends it again from here on; a stream can stay open for minutes, and its prompt with it.
    this.body.release();
    const requestId = upRes.headers['x-request-id'];
    this.upstreamRequestId = typeof requestId === 'string' ? requestId : undefined;
    this.copy = forwardResponse(upRes, this.res, {
      method: this.req.method!,
      secret: attempt.secret,
      askedForUsage: attempt.askedForUsage,
      reservation: this.body.reservation,
      // An answer before the upload is complete goes out whole, and the connection closes after it (Upload.answeredEarly).
      beforeHead: (headers) => {
        if (this.req.complete) return;
        headers.connection = 'close';
        closeAfter(this.res);
        this.body.upload.answeredEarly(upRes, attempt.up!);
      },
      onHeadFailed: (err) => this.fail(badResponse(err)),
    });
    if (!this.copy) return;
    upRes.on('error', (err) => this.fail(classifyUpstreamError(err, true)));
    upRes.on('end', () => {
      this.usage = this.copy!.usage();
    });
  }

  onError(attempt: Attempt, err: NodeJS.ErrnoException): void {
    if (attempt !== this.attempt || this.clientGone || this.error) return;
    // Once the response has begun, its own stream reports how it ends: an error here is the upload failing
    // (the upstream no longer reads the body) or the connection dying after a complete response.
    if (this.answered) return this.body.upload.abandon();
    if (this.canRetryStale(attempt, err)) {
      this.staleRetried = true;
      attempt.route.dropIdleConnections();
      this.deps.log.debug('upstream_retry', { client: this.client.name, reason: err.code });
      return this.sendTo(this.chain.current, attempt.again(this, this.deps.deadlines));
    }
    this.onFailure(attempt, classifyUpstreamError(err, this.ttfbMs !== undefined));
  }

  onFailure(attempt: Attempt, err: ProxyError): void {
    if (attempt !== this.attempt || this.clientGone || this.error) return;
    const reason = this.answered ? undefined : reasonOfFailure(err, this.deps.fallbackOn);
    if (reason && this.moveOn(reason)) return;
    if (!this.answered) this.chain.failed(Date.now(), reason !== undefined);
    this.fail(err);
  }

  /**
   * Once, for an idempotent request we can send again whole, that failed on a reused socket before any
   * response. A POST is never sent twice to one upstream: the reset may have come after it began working on it.
   */
  private canRetryStale(attempt: Attempt, err: NodeJS.ErrnoException): boolean {
    if (this.staleRetried || !this.body.resendable || this.ttfbMs !== undefined) return false;
    return isReplayable(this.req.method!) && attempt.up!.reusedSocket && isStaleSocketError(err);
  }

  /** Moves on to the next upstream of the chain when there is one and the body can be sent again; else false. */
  private moveOn(reason: string, res?: IncomingMessage): boolean {
    if (!this.chain.hasNext || !this.body.replayable) return false;
    const from = this.attempt!;
    const hop = this.chain.next(reason, Date.now(), res);
    if (!hop) return false;
    from.abandon();
    this.deps.log.info('upstream_fallback', { client: this.client.name, from: from.route.name, to: hop.route.name, reason });
    this.staleRetried = false;
    this.sendTo(hop);
    return true;
  }

  /** Answers with the error while nothing was sent, else cuts the client connection; stops the upstream. */
  private fail(err: ProxyError): void {
    if (this.error || this.clientGone) return;
    this.error = err;
    if (err instanceof UpstreamError) this.deps.metrics.upstreamErrors.with(err.reason).inc();
    this.attempt?.timers.stop();
    const pending = bodyPending(this.req);
    // Destroying the upstream request below must not take the client's request (and socket) with it.
    if (!this.res.headersSent) this.body.upload.abandon();
    sendError(this.res, err, pending);
    this.copy?.stop();
    this.attempt?.up?.destroy();
  }

  private onClientClose(): void {
    if (!this.res.writableFinished && !this.error) {
      this.clientGone = true;
      if (!this.answered) this.chain.abandoned();
      this.attempt?.up?.destroy();
    }
    this.attempt?.timers.stop();
    this.deps.deadlines.remove(this.onBodyStall);
    // A response cut short (either side gone) reported no usage: what it streamed is counted as an estimate.
    if (this.usage === undefined && this.copy) this.usage = this.copy.usage();
    this.deps.onEnd(this.outcome(), this.ticket);
  }

  private outcome(): Outcome {
    const { req, res } = this;
    return Object.freeze({
      client: this.client.name,
      serviceAccount: this.serviceAccount,
      method: req.method!,
      endpoint: this.endpoint,
      path: this.upstreamPath,
      upstream: this.attempt?.route.name,
      attempts: this.chain.attempts,
      status: res.headersSent ? res.statusCode : 499,
      bytesIn: this.body.upload.bytes,
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
