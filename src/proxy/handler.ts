import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Client } from '../keys/key-table';
import { identifyCaller, type Authentication } from '../keys/callers';
import type { ServiceAccountTokens } from '../service-accounts/service-account-tokens';
import type { Config } from '../config/types';
import {
  type ProxyError,
  bodyTooLarge,
  expectationFailed,
  headersTooLarge,
  methodNotAllowed,
  notAllowed,
  serviceAccountKeysUnavailable,
  upgradeRefused,
} from '../http/errors';
import { bodyPending, sendError, sendJson, sendUnauthorized } from '../http/respond';
import { ProxiedRequest } from './proxied-request';
import type { Outcome } from './outcome';
import { connectionClosing, markClosing } from '../http/closing';
import { framingProblem } from './framing';
import type { KeyStore } from '../keys/keystore';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { matchEndpoint, normaliseTarget } from '../http/routes';
import type { Upstream } from './upstream';
import type { Ticket } from '../limits';
import { type AdmissionDeps, priced } from './admission';
import { DeadlineSweep } from './deadlines';
import type { Recorder, RefusedRequest } from './access-log';

export interface ProxyDeps {
  config: Config;
  keys: KeyStore;
  /** Set when callers may prove a Kubernetes ServiceAccount instead of holding a key. */
  serviceAccounts?: ServiceAccountTokens;
  /** Every upstream by name: the primary and the fallbacks. */
  upstreams: ReadonlyMap<string, Upstream>;
  metrics: Metrics;
  log: Logger;
  /** True once shutdown began: responses then close their connection. */
  isDraining(): boolean;
  /** Each request's metrics and access log line. */
  recorder: Recorder;
  /** The clients' limits and prices. */
  admission: AdmissionDeps;
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

/** The request handler: cheap refusals first, then one ProxiedRequest per request that passes them. */
export function createProxyHandler(deps: ProxyDeps) {
  const { config, metrics, log } = deps;
  // A count, not a Set of the requests: a long-lived collection that every request enters and leaves keeps
  // young objects reachable at each scavenge, and that alone cost about a tenth of the CPU per request.
  let open = 0;
  const deadlines = new DeadlineSweep();
  const { recorder } = deps;
  const requestDeps = {
    deadlines,
    upstreams: deps.upstreams,
    fallbackOn: config.fallbackOn,
    fallbackBodyLimitBytes: config.fallbackBodyLimitBytes,
    maxBodyBytes: config.maxBodyBytes,
    metrics,
    log,
    admission: deps.admission,
    onEnd: (outcome: Outcome, ticket: Ticket | undefined) => {
      open--;
      metrics.inflight.with(outcome.client).dec();
      // Whatever was used, exact or estimated, replaces what the request reserved.
      const cost = priced(deps.admission, outcome.model, outcome.usage);
      ticket?.end(cost.spend);
      recorder.proxied(outcome, cost.costUsd);
    },
  };

  /** Answers the request itself; its log line and metrics are written once the answer is out. */
  function refuse(req: IncomingMessage, res: ServerResponse, refusal: RefusedRequest, answer: () => void): void {
    answer();
    res.once('close', () => recorder.refused(req, refusal));
  }

  /** `expectsContinue`: the client waits for `100 Continue` before sending its body. */
  function handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): void {
    // A pipelined request waits until the answers before it are written (its response then gets the socket):
    // requests run one at a time, in order (RFC 9112 §9.3.2), and none is left running if the client leaves.
    if (res.socket === null) return void res.once('socket', () => handle(req, res, expectsContinue));
    // Left unanswered: the connection closes once the earlier answer is out, and that ends this response too.
    if (connectionClosing(req)) return;
    // After a request that closes the connection, nothing more is read as a request (RFC 9112 §9.6).
    if (!res.shouldKeepAlive) markClosing(req);
    if (deps.isDraining()) res.setHeader('connection', 'close');
    const startedAt = performance.now();
    const framing = framingProblem(req);
    if (framing) return refuseEarly(req, res, startedAt, framing, true);
    if (req.url === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return sendJson(res, 200, HEALTH_BODY, false);
    if (REFUSED_METHODS.has(req.method!)) return refuseEarly(req, res, startedAt, methodNotAllowed(req.method!), true);
    if (req.rawHeaders.length > MAX_HEADER_LINES * 2) return refuseEarly(req, res, startedAt, headersTooLarge(), true);
    if (req.headers.upgrade !== undefined) return refuseEarly(req, res, startedAt, upgradeRefused(), true);
    if (req.headers.expect !== undefined && !CONTINUE_EXPECTATION.test(req.headers.expect)) return refuseEarly(req, res, startedAt, expectationFailed(), true);
    const target = normaliseTarget(req.url ?? '');
    const endpoint = target && matchEndpoint(target.path, config.endpoints);
    // The path is refused only after the key: a caller without one gets the same 401 everywhere and cannot
    // map the allowlist.
    const caller = identifyCaller(deps.keys.table, deps.serviceAccounts, req.headers);
    const path = target && (target.query ? `${target.path}?${target.query}` : target.path);
    const request = { req, res, endpoint: endpoint || undefined, path: path || undefined, startedAt, expectsContinue };
    if (!(caller instanceof Promise)) return admit(request, caller);
    // Only a token whose signing key is being fetched waits here; the request body waits in the socket meanwhile.
    caller.then((found) => {
      if (!res.destroyed) return admit(request, found);
      recorder.refused(req, {
        status: 499,
        endpoint: request.endpoint,
        client: found.client?.name ?? UNAUTHENTICATED,
        code: 'client_closed',
        startedAt,
        serviceAccount: found.serviceAccount,
      });
    });
  }

  /** Refusals before the caller is known: nothing about the request is trusted yet. */
  function refuseEarly(req: IncomingMessage, res: ServerResponse, startedAt: number, err: ProxyError, closeConnection: boolean): void {
    refuse(req, res, { status: err.status, endpoint: undefined, client: UNAUTHENTICATED, code: err.code, startedAt }, () =>
      sendError(res, err, closeConnection),
    );
  }

  /** The caller is known (or known not to be anyone): refuse, or send the request on its way. */
  function admit({ req, res, endpoint, path, startedAt, expectsContinue }: Admission, caller: Authentication): void {
    const { client, serviceAccount } = caller;
    if (!client) {
      if (caller.unavailable) {
        const err = serviceAccountKeysUnavailable();
        return refuse(req, res, { status: err.status, endpoint, client: UNAUTHENTICATED, code: err.code, startedAt }, () =>
          sendError(res, err, bodyPending(req)),
        );
      }
      metrics.authFailures.with().inc();
      return refuse(req, res, { status: 401, endpoint, client: UNAUTHENTICATED, code: undefined, startedAt, reason: caller.reason, serviceAccount }, () =>
        sendUnauthorized(res, bodyPending(req)),
      );
    }
    if (!endpoint || !path) {
      const err = notAllowed();
      return refuse(req, res, { status: 404, endpoint: undefined, client: client.name, code: err.code, startedAt, serviceAccount }, () =>
        sendError(res, err, bodyPending(req)),
      );
    }
    if (Number(req.headers['content-length']) > config.maxBodyBytes) {
      const err = bodyTooLarge(config.maxBodyBytes);
      return refuse(req, res, { status: 413, endpoint, client: client.name, code: err.code, startedAt, serviceAccount }, () => sendError(res, err, true));
    }
    if (expectsContinue) res.writeContinue();
    proxy(req, res, client, endpoint, path, serviceAccount);
  }

  function proxy(req: IncomingMessage, res: ServerResponse, client: Client, endpoint: string, path: string, serviceAccount: string | undefined): void {
    metrics.inflight.with(client.name).inc();
    const proxied = new ProxiedRequest(requestDeps, req, res, client, endpoint, path, serviceAccount);
    open++;
    proxied.start();
  }

  /** Requests being proxied now: shutdown waits for these. */
  const openRequests = () => open;
  return { handle, openRequests, close: () => deadlines.close() };
}

/** A request that passed the cheap refusals, waiting to learn who sent it. */
interface Admission {
  req: IncomingMessage;
  res: ServerResponse;
  /** Undefined when the path is not allowed: answered 404 once the caller is known. */
  endpoint: string | undefined;
  path: string | undefined;
  startedAt: number;
  expectsContinue: boolean;
}
