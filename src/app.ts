import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createAdminServer } from './observability/admin';
import type { Config } from './config/types';
import { ProxyError, headersTooLarge, methodNotImplemented, versionNotSupported } from './http/errors';
import { refuseSocket } from './http/respond';
import type { KeyStore } from './keys/keystore';
import type { Logger } from './observability/log';
import { createMetrics, type Metrics } from './observability/metrics';
import { closeAfterAnswer, isClosing } from './http/closing';
import { createLimits, type Limits, warnOncePerModel } from './limits';
import type { AdmissionDeps } from './proxy/admission';
import { createRecorder } from './proxy/access-log';
import { createProxyHandler } from './proxy/handler';
import { createUpgradeHandler } from './proxy/websocket-upgrade';
import { CLOSE } from './websocket/frames';
import { createUpstream } from './proxy/upstream';
import { startServiceAccountTokens } from './service-accounts/service-account-tokens';
import { drain, listenAll } from './http/listeners';

/** A slow client gets this long to send its headers; bodies are guarded by the idle timeout instead. */
const HEADERS_TIMEOUT_MS = 30_000;
/**
 * Longer than the SDKs' own idle timeouts (httpx 5 s, undici 4 s), so a client never reuses a connection the
 * proxy is closing at that moment.
 */
const CLIENT_KEEP_ALIVE_MS = 65_000;
/**
 * Connections the kernel queues before the proxy accepts them (capped by net.core.somaxconn). Node's default,
 * 511, overflowed when thousands of streaming clients connected at once to a busy proxy: the kernel then drops
 * the handshakes it cannot queue, and clients saw resets.
 */
const LISTEN_BACKLOG = 4096;

export interface App {
  readonly port: number;
  readonly adminPort: number;
  readonly metrics: Metrics;
  /** Stops accepting, lets open requests finish for up to `graceMs`, then cuts the rest; resolves to how many were cut. */
  shutdown(graceMs: number): Promise<number>;
}

/** Builds and starts both listeners. Importing this module starts nothing. */
export async function startApp(config: Config, keys: KeyStore, log: Logger): Promise<App> {
  const metrics = createMetrics();
  // One keep-alive agent per upstream, built at start: the primary and each fallback.
  const upstreams = new Map([config.upstream, ...config.fallbacks].map((c) => [c.name, createUpstream(c)]));
  const upstream = upstreams.get(config.upstream.name)!;
  let draining = false;
  const serviceAccounts = config.kubernetes && startServiceAccountTokens(config.kubernetes, log, metrics);
  const recorder = createRecorder({
    metrics,
    log,
    keys,
    models: new Set(config.models),
    endpoints: config.endpoints,
    upstreamUrls: new Map([...upstreams.values()].map((u) => [u.name, u.config.display])),
  });
  const isDraining = () => draining;
  const limits = startLimits(config, metrics, log);
  const admission = admissionOf(config, limits, metrics, log);
  const callers = { config, keys, serviceAccounts: serviceAccounts?.tokens, upstream, upstreams, metrics, recorder, isDraining, admission };
  const handler = createProxyHandler({ ...callers, log });
  const upgrades = createUpgradeHandler(callers);
  const server = http.createServer(
    {
      requestTimeout: 0,
      headersTimeout: HEADERS_TIMEOUT_MS,
      // Node checks the headers timeout on this period (default 30 s); checking more often cuts a slowloris
      // client close to the 30 s it is promised rather than up to 60 s.
      connectionsCheckingInterval: 5_000,
      keepAliveTimeout: CLIENT_KEEP_ALIVE_MS,
      // Node's own answer to a missing Host is a bare 400; the handler answers it in JSON (with the other Host rules).
      requireHostHeader: false,
    },
    handler.handle,
  );
  // Node would silently drop headers past 2000; count them all and refuse above the proxy's own limit instead.
  server.maxHeadersCount = 0;
  server.on('clientError', answerClientError);
  // Left to Node, every `Expect: 100-continue` is answered `100 Continue` before the handler runs, so a client
  // with a wrong key or an oversized body would upload it all before being refused. The handler sends it once
  // the request has passed the cheap refusals; any other expectation gets a JSON 417 there instead of Node's bare one.
  server.on('checkContinue', (req, res) => handler.handle(req, res, true));
  server.on('checkExpectation', (req, res) => handler.handle(req, res));
  server.on('connect', (_req, socket: Socket) =>
    refuseSocket(socket, new ProxyError(405, 'method_not_allowed', 'The CONNECT method is not supported by this proxy.')),
  );
  server.on('upgrade', (req, socket: Socket, head: Buffer) => upgrades.handle(req, socket, head));
  // Ready only once both listeners are up: a Pod must never go Ready with a dead proxy port.
  let listening = false;
  const jwksLoaded = () => serviceAccounts?.tokens.ready() ?? true;
  const admin = createAdminServer({
    metrics,
    isReady: () => listening && !draining && keys.credentials.ready() && jwksLoaded(),
    limits: () => limits.snapshot(),
    notReadyStatus: () =>
      draining ? 'draining' : !listening ? 'starting' : !keys.credentials.ready() ? 'waiting_for_upstream_credential' : 'waiting_for_service_account_keys',
  });
  keys.credentials.start({ log, metrics });
  const release = () => {
    for (const u of upstreams.values()) u.agent.destroy();
    handler.close();
    keys.close();
    serviceAccounts?.close();
  };
  await listenAll(
    [
      { server: admin, port: config.adminPort, host: config.adminHost, setting: 'ADMIN_HOST/ADMIN_PORT' },
      { server, port: config.port, host: config.host, setting: 'HOST/PORT', backlog: LISTEN_BACKLOG },
    ],
    release,
  );
  listening = true;
  // Node's default metrics start here, once the listeners are up, rather than holding up readiness.
  setImmediate(() => void metrics.registry);
  keys.watch(log, (result) => metrics.configReloads.with(result).inc());

  return {
    port: (server.address() as AddressInfo).port,
    adminPort: (admin.address() as AddressInfo).port,
    metrics,
    async shutdown(graceMs) {
      draining = true;
      const cut = await drain(server, () => handler.openRequests() + upgrades.openSessions(), graceMs);
      // Sessions still open after the grace period are told the server is going away, on both sides.
      await upgrades.closeAll(CLOSE.goingAway, 'shutting_down');
      release();
      // What the replica counted reaches the store before it goes.
      await limits.close();
      await new Promise((resolve) => admin.close(resolve));
      return cut;
    },
  };
}

/**
 * The clients' limits: shared by every replica on Redis when `limits.store.redis` is set, else this replica's
 * alone, in memory. Redis being unreachable is a state (local or deny), never a start failure.
 */
function startLimits(config: Config, metrics: Metrics, log: Logger): Limits {
  const limits = createLimits({
    config: config.limits,
    clients: config.clients,
    log,
    hooks: {
      storeUp: (up) => metrics.limitsStoreUp.with().set(up ? 1 : 0),
      storeError: (reason) => metrics.limitsStoreErrors.with(reason).inc(),
      storeDuration: (seconds) => metrics.limitsStoreDuration.with().observe(seconds),
      pendingDropped: (count) => metrics.limitsStoreErrors.with('pending_dropped').inc(count),
    },
  });
  if (limits.store === 'redis') log.info('limits_store', { store: 'redis', url: config.limits.redis!.display, onStoreError: config.limits.onStoreError });
  return limits;
}

function admissionOf(config: Config, limits: Limits, metrics: Metrics, log: Logger): AdmissionDeps {
  const prices = config.limits.prices;
  return {
    limits,
    prices,
    metrics,
    pricesGiven: Object.keys(prices).length > 0,
    unpriced: warnOncePerModel((model) => log.warn('model_unpriced', { model, reason: 'limits.prices has no price for it: it costs 0' })),
  };
}

/** A request line that is well formed but names a method Node's parser does not know (`BREW / HTTP/1.1`). */
const UNKNOWN_METHOD_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/1\.[01]\r?\n/;

/** Node's parser rejected the request before a handler saw it: answer in JSON where the socket still allows. */
function answerClientError(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void {
  // Already answered: the parser is refusing what a client sends after the answer that closes its connection.
  if (isClosing(socket)) return void (socket.readableEnded && socket.destroy());
  if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
  // A request is being answered on this connection (Node's own check of this is internal too). Bytes pipelined
  // behind it wait for its answer. A broken body of its own is refused now, and the socket closed at once so
  // that the proxied request ends (its upstream request is cancelled).
  const answering = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
  if (answering?.req.complete) return closeAfterAnswer(answering);
  refuseSocket(socket, clientErrorAnswer(err), !answering);
}

function clientErrorAnswer(err: NodeJS.ErrnoException & { rawPacket?: Buffer }): ProxyError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return headersTooLarge();
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ProxyError(408, 'request_timeout', 'The request headers did not arrive in time.');
    case 'HPE_INVALID_VERSION':
      return versionNotSupported();
    case 'HPE_INVALID_METHOD':
      // RFC 9110 §15.6.2: an unknown method is 501; bytes that are not a request line at all stay a 400.
      if (UNKNOWN_METHOD_LINE.test(err.rawPacket?.subarray(0, 4096).toString('latin1') ?? '')) return methodNotImplemented();
  }
  return new ProxyError(400, 'bad_request', 'The request is not valid HTTP.');
}
