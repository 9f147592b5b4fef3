import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
  rateLimited: 'openai_proxy_rate_limited_total',
} as const;

/** LLM calls run from milliseconds (embeddings) to many minutes (reasoning, long streams). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * prom-client builds and hashes a label object on every `labels()` call. On the per-request path each series is
 * looked up once by its joined label values and kept; the labels are bounded, so the cache is too.
 */
export function seriesCache<T>(child: (...labels: string[]) => T): (...labels: string[]) => T {
  const cache = new Map<string, T>();
  return (...labels) => {
    const key = labels.join('\u0000');
    let series = cache.get(key);
    if (series === undefined) {
      series = child(...labels);
      cache.set(key, series);
    }
    return series;
  };
}

/** Labels are bounded by construction: client names from config, allowlist prefixes, status codes, reasons. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics = {
    registry,
    requests: new Counter({ name: METRIC.requests, help: 'Requests answered, by client, allowlisted endpoint, method and status.', labelNames: ['client', 'endpoint', 'method', 'status', 'model'] as const, registers }),
    duration: new Histogram({ name: METRIC.duration, help: 'Time from request start to the end of the response.', labelNames: ['client', 'endpoint', 'status'] as const, buckets: DURATION_BUCKETS, registers }),
    ttfb: new Histogram({ name: METRIC.ttfb, help: 'Time from request start to the upstream response headers.', labelNames: ['client', 'endpoint'] as const, buckets: DURATION_BUCKETS, registers }),
    inflight: new Gauge({ name: METRIC.inflight, help: 'Requests being proxied now, streams included.', labelNames: ['client'] as const, registers }),
    clientAborts: new Counter({ name: METRIC.clientAborts, help: 'Requests whose client went away before the response ended.', labelNames: ['client', 'endpoint'] as const, registers }),
    upstreamErrors: new Counter({ name: METRIC.upstreamErrors, help: 'Upstream failures: unreachable, reset, timeouts, bad responses.', labelNames: ['reason'] as const, registers }),
    authFailures: new Counter({ name: METRIC.authFailures, help: 'Requests refused for a missing or wrong client key.', registers }),
    tokens: new Counter({ name: METRIC.tokens, help: 'Tokens used, from the usage the upstream reported; kind is input, output, cached_input or reasoning.', labelNames: ['client', 'model', 'kind'] as const, registers }),
    rateLimited: new Counter({ name: METRIC.rateLimited, help: 'Requests refused with 429 by a client limit (requests, tokens, streams).', labelNames: ['client', 'limit'] as const, registers }),
    configReloads: new Counter({ name: METRIC.configReloads, help: 'Secret file reloads, by result.', labelNames: ['result'] as const, registers }),
  };
  /** The per-request series, looked up once (see seriesCache). */
  const series = {
    requests: seriesCache((...l) => metrics.requests.labels(...l)),
    duration: seriesCache((...l) => metrics.duration.labels(...l)),
    ttfb: seriesCache((...l) => metrics.ttfb.labels(...l)),
    inflight: seriesCache((...l) => metrics.inflight.labels(...l)),
    tokens: seriesCache((...l) => metrics.tokens.labels(...l)),
  };
  return { ...metrics, series };
}
