import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { authenticate, type Client } from '../keys/auth';
import type { Config } from '../config/config';
import { bodyPending, bodyTooLarge, connectionClosing, expectationFailed, headersTooLarge, methodNotAllowed, notAllowed, sendError, sendJson, sendUnauthorized, upgradeRefused } from './errors';
import { Exchange } from './exchange';
import type { KeyStore } from '../keys/keystore';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { matchEndpoint, normaliseTarget } from './routes';
import type { Upstream } from './upstream';
import { ClientLimiter } from '../usage/limits';
import { DeadlineSweep } from './deadlines';
import { createRecorder } from '../observability/record';
import type { Usage } from '../usage/tap';

export interface ProxyDeps {
  config: Config;
  keys: KeyStore;
  upstream: Upstream;
  metrics: Metrics;
  log: Logger;
  /** True once shutdown began: responses then close their connection. */
  isDraining(): boolean;
  /** `config.models` as a set, for the bounded `model` label. */
  models: ReadonlySet<string>;
}

const HEALTH_BODY = '{"status":"ok"}';
/** Methods that have no business reaching the OpenAI API through a proxy (CONNECT never reaches here). */
const REFUSED_METHODS = new Set(['TRACE', 'TRACK', 'CONNECT']);

/** An OpenAI request carries a dozen or two headers; a thousand is abuse, not a client. */
export const MAX_HEADER_LINES = 1000;

/** Node's own reading of `Expect` (any other expectation is refused). */
const CONTINUE_EXPECTATION = /(?:^|\W)100-continue(?:$|\W)/i;

/** Metric/log name of a caller before it has proved who it is. */
export const UNAUTHENTICATED = 'unauthenticated';

/** The request handler: cheap refusals first, then one Exchange per proxied request. */
export function createProxyHandler(deps: ProxyDeps) {
  const { config, metrics, log } = deps;
  // A count, not a Set of the exchanges: a long-lived collection that every request enters and leaves keeps
  // young objects reachable at each scavenge, and that alone cost about a tenth of the CPU per request.
  let open = 0;
  const limiters = createLimiters(config);
  const bodyDeadlines = new DeadlineSweep();
  const recorder = createRecorder({ metrics, log, keys: deps.keys, models: deps.models, endpoints: config.endpoints });
  const exchangeDeps = {
    bodyDeadlines,
    upstream: deps.upstream,
    upstreamConfig: config.upstream,
    maxBodyBytes: config.maxBodyBytes,
    metrics,
    log,
    admit: (client: Client, stream: boolean) => {
      const refusal = limiters.get(client.name)?.admit(stream, Date.now());
      if (refusal) metrics.rateLimited.with(client.name, refusal.limit).inc();
      return refusal;
    },
    onDone: (exchange: Exchange) => {
      open--;
      metrics.inflight.with(exchange.client.name).dec();
      if (exchange.admitted) limiters.get(exchange.client.name)?.release(exchange.stream, totalTokens(exchange.usage), Date.now());
      recorder.exchange(exchange);
    },
  };

  /** `expectsContinue`: the client waits for `100 Continue` before sending its body. */
  function handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): void {
    // Left unanswered: the connection closes once the earlier answer is out, and that ends this response too.
    if (connectionClosing(req)) return;
    if (deps.isDraining()) res.setHeader('connection', 'close');
    if (req.url === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return sendJson(res, 200, HEALTH_BODY, false);
    const startedAt = performance.now();
    const refuse = (status: number, endpoint: string | undefined, client: string, answer: () => void, code?: string) => {
      answer();
      res.once('close', () => recorder.refusal(req, { status, endpoint, client, code, startedAt }));
    };
    if (REFUSED_METHODS.has(req.method!)) {
      const err = methodNotAllowed(req.method!);
      return refuse(405, undefined, UNAUTHENTICATED, () => sendError(res, err, true), err.code);
    }
    if (req.rawHeaders.length > MAX_HEADER_LINES * 2) {
      const err = headersTooLarge();
      return refuse(431, undefined, UNAUTHENTICATED, () => sendError(res, err, true), err.code);
    }
    if (req.headers.upgrade !== undefined) {
      const err = upgradeRefused();
      return refuse(400, undefined, UNAUTHENTICATED, () => sendError(res, err, true), err.code);
    }
    if (req.headers.expect !== undefined && !CONTINUE_EXPECTATION.test(req.headers.expect)) {
      const err = expectationFailed();
      return refuse(417, undefined, UNAUTHENTICATED, () => sendError(res, err, true), err.code);
    }
    const target = normaliseTarget(req.url ?? '');
    const endpoint = target && matchEndpoint(target.path, config.endpoints);
    if (!target || !endpoint) {
      const err = notAllowed();
      return refuse(404, undefined, UNAUTHENTICATED, () => sendError(res, err, bodyPending(req)), err.code);
    }
    const client = authenticate(deps.keys.table, req.headers);
    if (!client) {
      metrics.authFailures.with().inc();
      return refuse(401, endpoint, UNAUTHENTICATED, () => sendUnauthorized(res, bodyPending(req)));
    }
    if (Number(req.headers['content-length']) > config.maxBodyBytes) {
      const err = bodyTooLarge(config.maxBodyBytes);
      return refuse(413, endpoint, client.name, () => sendError(res, err, true), err.code);
    }
    if (expectsContinue) res.writeContinue();
    proxy(req, res, client, endpoint, target.query ? `${target.path}?${target.query}` : target.path);
  }

  function proxy(req: IncomingMessage, res: ServerResponse, client: Client, endpoint: string, path: string): void {
    metrics.inflight.with(client.name).inc();
    const exchange = new Exchange(exchangeDeps, req, res, client, endpoint, path);
    open++;
    exchange.start();
  }

  /** Requests being proxied now: shutdown waits for these. */
  const openExchanges = () => open;
  return { handle, openExchanges, close: () => bodyDeadlines.close() };
}

/** Limits are per client name, so they survive a key rotation that rebuilds the Client objects. */
function createLimiters(config: Config): Map<string, ClientLimiter> {
  const now = Date.now();
  return new Map(config.clients.filter((c) => c.limits).map((c) => [c.name, new ClientLimiter(c.limits!, now)]));
}

function totalTokens(usage: Usage | undefined): number {
  return usage ? usage.input + usage.output : 0;
}
