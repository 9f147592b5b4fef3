import type { Metric, Registry } from 'prom-client';
import { CounterFamily, GaugeFamily, HistogramFamily } from './series';

/** Every metric name the proxy exports, in one place (the dashboard and its test read these). */
export const METRIC = {
  requests: 'openai_proxy_requests_total',
  duration: 'openai_proxy_request_duration_seconds',
  ttfb: 'openai_proxy_upstream_ttfb_seconds',
  inflight: 'openai_proxy_inflight_requests',
  clientAborts: 'openai_proxy_client_aborts_total',
  upstreamErrors: 'openai_proxy_upstream_errors_total',
  authFailures: 'openai_proxy_auth_failures_total',
  configReloads: 'openai_proxy_config_reloads_total',
  tokens: 'openai_proxy_tokens_total',
  tokensEstimated: 'openai_proxy_tokens_estimated_total',
  rateLimited: 'openai_proxy_rate_limited_total',
  credentialRefreshes: 'openai_proxy_credential_refreshes_total',
  credentialExpiry: 'openai_proxy_credential_expiry_timestamp_seconds',
  jwksRefreshes: 'openai_proxy_jwks_refreshes_total',
  upstreamAttempts: 'openai_proxy_upstream_attempts_total',
  costUsd: 'openai_proxy_cost_usd_total',
  limitsStoreUp: 'openai_proxy_limits_store_up',
  limitsStoreErrors: 'openai_proxy_limits_store_errors_total',
  limitsStoreDuration: 'openai_proxy_limits_store_duration_seconds',
  fallbacks: 'openai_proxy_fallbacks_total',
  websocketSessions: 'openai_proxy_websocket_sessions',
  websocketMessages: 'openai_proxy_websocket_messages_total',
  websocketUnread: 'openai_proxy_websocket_unread_messages_total',
} as const;

/** The sidecar injector's own (`node dist/main.js inject`, a process of its own beside METRIC's config reloads). */
export const INJECTOR_METRIC = {
  injections: 'openai_proxy_injections_total',
} as const;

/** Redis on the same network answers in a fraction of a millisecond; the deadline is 100 ms by default. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];

/** LLM calls run from milliseconds (embeddings) to many minutes (reasoning, long streams). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export type Metrics = ReturnType<typeof createMetrics>;
export type InjectorMetrics = ReturnType<typeof createInjectorMetrics>;

/**
 * The proxy's metrics, and Node's default process metrics, in one registry. Labels are bounded by construction:
 * client names from config, allowlist prefixes, status codes, reasons. Each family's `with(...labels)` returns
 * its series (see series.ts); the request path updates series, the scrape reads them.
 */
export function createMetrics() {
  const { registry, register } = createRegistry();
  return {
    get registry() {
      return registry();
    },
    requests: register(
      new CounterFamily(METRIC.requests, 'Requests answered, by client, allowlisted endpoint, method and status.', [
        'client',
        'endpoint',
        'method',
        'status',
        'model',
      ]),
    ),
    duration: register(
      new HistogramFamily(METRIC.duration, 'Time from request start to the end of the response.', ['client', 'endpoint', 'status'], DURATION_BUCKETS),
    ),
    ttfb: register(new HistogramFamily(METRIC.ttfb, 'Time from request start to the upstream response headers.', ['client', 'endpoint'], DURATION_BUCKETS)),
    inflight: register(new GaugeFamily(METRIC.inflight, 'Requests being proxied now, streams included.', ['client'])),
    clientAborts: register(new CounterFamily(METRIC.clientAborts, 'Requests whose client went away before the response ended.', ['client', 'endpoint'])),
    upstreamErrors: register(new CounterFamily(METRIC.upstreamErrors, 'Upstream failures: unreachable, reset, timeouts, bad responses.', ['reason'])),
    authFailures: register(new CounterFamily(METRIC.authFailures, 'Requests refused for a missing or wrong client key.')),
    tokens: register(
      new CounterFamily(
        METRIC.tokens,
        'Tokens used, as the upstream reported them or estimated where it reported none; kind is input, output, cached_input or reasoning.',
        ['client', 'model', 'kind'],
      ),
    ),
    tokensEstimated: register(
      new CounterFamily(METRIC.tokensEstimated, 'The estimated part of openai_proxy_tokens_total: responses that ended without usage.', [
        'client',
        'model',
        'kind',
      ]),
    ),
    rateLimited: register(
      new CounterFamily(
        METRIC.rateLimited,
        'Requests refused with 429 by a client limit, named as in the config (requestsPerMinute, tokensPerDay, usdPerMonth, concurrentStreams, ...).',
        ['client', 'limit'],
      ),
    ),
    configReloads: register(new CounterFamily(METRIC.configReloads, 'Secret file reloads, by result.', ['result'])),
    credentialRefreshes: register(
      new CounterFamily(METRIC.credentialRefreshes, 'Keyless upstream credential exchanges, by credential (upstream or a client name) and result.', [
        'credential',
        'result',
      ]),
    ),
    credentialExpiry: register(
      new GaugeFamily(METRIC.credentialExpiry, 'When each keyless upstream credential expires, in Unix seconds (0 while there is none).', ['credential']),
    ),
    jwksRefreshes: register(
      new CounterFamily(METRIC.jwksRefreshes, "Fetches of the Kubernetes ServiceAccount issuer's signing keys (JWKS), by result.", ['result']),
    ),
    costUsd: register(new CounterFamily(METRIC.costUsd, 'What the responses cost in USD, from limits.prices (estimates included).', ['client', 'model'])),
    limitsStoreUp: register(
      new GaugeFamily(METRIC.limitsStoreUp, "1 while the shared limits' store (Redis) answers, 0 while it does not; absent without a store."),
    ),
    limitsStoreErrors: register(
      new CounterFamily(
        METRIC.limitsStoreErrors,
        "Failures of the shared limits' store, by reason (timeout, closed, auth, connect, reply, pending_dropped, ...).",
        ['reason'],
      ),
    ),
    limitsStoreDuration: register(
      new HistogramFamily(METRIC.limitsStoreDuration, "Each command to the shared limits' store, from sending to its reply.", [], STORE_BUCKETS),
    ),
    upstreamAttempts: register(
      new CounterFamily(METRIC.upstreamAttempts, 'Upstream attempts by upstream and result: answered, fallback (moved on), failed, skipped (passed over).', [
        'upstream',
        'result',
      ]),
    ),
    fallbacks: register(
      new CounterFamily(METRIC.fallbacks, 'Requests moved on from one upstream to the next, by reason (a status, connect, reset, timeout).', [
        'from',
        'to',
        'reason',
      ]),
    ),
    websocketSessions: register(new GaugeFamily(METRIC.websocketSessions, 'WebSocket sessions open now (Realtime, Responses).', ['client'])),
    websocketMessages: register(
      new CounterFamily(METRIC.websocketMessages, 'WebSocket messages relayed, by direction (from_client, from_upstream), counted when a session ends.', [
        'client',
        'direction',
      ]),
    ),
    websocketUnread: register(
      new CounterFamily(METRIC.websocketUnread, "Server messages relayed but not read for usage: too large, or the session's reading stopped (reason).", [
        'client',
        'reason',
      ]),
    ),
  };
}

/**
 * The sidecar injector's metrics (`node dist/main.js inject`). `result`: injected, skipped (not asked for, or
 * injected already), failed (asked for but not possible: allowed unchanged with a warning), invalid (not an
 * AdmissionReview: answered 400).
 */
export function createInjectorMetrics() {
  const { registry, register } = createRegistry();
  return {
    get registry() {
      return registry();
    },
    injections: register(new CounterFamily(INJECTOR_METRIC.injections, 'Pod admission reviews answered by the sidecar injector, by result.', ['result'])),
    configReloads: register(new CounterFamily(METRIC.configReloads, 'Serving certificate reloads, by result.', ['result'])),
  };
}

/**
 * The families are ours (series.ts) and need nothing of prom-client until a scrape. prom-client's registry and
 * Node's default metrics are made on the first use of `registry()`: loading prom-client was about a third of
 * the proxy's start-up, so the app makes the registry once it is listening (see app.ts), not before.
 */
function createRegistry() {
  const families: unknown[] = [];
  let registry: Registry | undefined;
  // The registry formats any object with prom-client's metric interface (`get()`); its types list only its own.
  const add = (family: unknown) => registry!.registerMetric(family as Metric);
  const register = <F>(family: F): F => {
    families.push(family);
    if (registry) add(family);
    return family;
  };
  const get = (): Registry => {
    if (registry) return registry;
    const prom = require('prom-client') as typeof import('prom-client');
    registry = new prom.Registry();
    prom.collectDefaultMetrics({ register: registry });
    families.forEach(add);
    return registry;
  };
  return { registry: get, register };
}
