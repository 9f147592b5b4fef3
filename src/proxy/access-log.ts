import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isKnownKey, redactKeys } from '../keys/key-table';
import { ModelLabels, loggedModel } from '../observability/model-labels';
import type { Outcome } from './outcome';
import type { Usage } from '../usage/tap';
import { UpstreamError, describeUpstreamFailure } from '../http/upstream-errors';
import type { KeyStore } from '../keys/keystore';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';

export interface RecorderDeps {
  metrics: Metrics;
  log: Logger;
  keys: KeyStore;
  /** `models:` / `PROXY_MODELS` as a set: `model` label values beside the first names seen. */
  models: ReadonlySet<string>;
  /** The allowlist: its words are never keys, so the log's key check skips them. */
  endpoints: readonly string[];
  /** Each upstream's origin and prefix by name, named on the lines of requests it failed. */
  upstreamUrls: ReadonlyMap<string, string>;
}

/** A request the proxy answered itself instead of proxying it. */
export interface RefusedRequest {
  status: number;
  endpoint: string | undefined;
  client: string;
  code: string | undefined;
  startedAt: number;
  /** A refused ServiceAccount token: which rule it broke. */
  reason?: string;
  /** The caller's verified `namespace/name`, when it proved one. */
  serviceAccount?: string;
}

/** How each request ends up in the metrics and the access log: one line per request, after it closed. */
export function createRecorder(deps: RecorderDeps) {
  const { metrics, log } = deps;
  // Checking only the segments that are not allowlist words spares nearly every request a hash.
  const plainSegments = new Set(deps.endpoints.flatMap((endpoint) => endpoint.split('/')));
  /** A path as it may be logged: without the query, any key in it replaced by its fingerprint. */
  const logPath = (url: string) => redactKeys(deps.keys.table, url.split('?', 1)[0]!, plainSegments);
  const isKey = (name: string) => isKnownKey(deps.keys.table, name);
  const modelLabels = new ModelLabels(deps.models, isKey);

  /** `costUsd`: what it cost, with `limits.prices`. */
  function proxied(x: Outcome, costUsd: number | undefined): void {
    const { client, status } = x;
    const model = modelLabels.label(x.model);
    metrics.requests.with(client, x.endpoint, x.method, String(status), model).inc();
    if (x.usage) countTokens(metrics.tokens, client, model, x.usage);
    if (x.usage?.estimated) countTokens(metrics.tokensEstimated, client, model, x.usage);
    if (costUsd) metrics.costUsd.with(client, model).inc(costUsd);
    metrics.duration.with(client, x.endpoint, String(status)).observe(x.durationMs / 1000);
    if (x.ttfbMs !== undefined) metrics.ttfb.with(client, x.endpoint).observe(x.ttfbMs / 1000);
    if (x.clientGone) metrics.clientAborts.with(client, x.endpoint).inc();
    log.infoMembers(
      'request',
      outcomeMembers(x, loggedModel(x.model, model, isKey), logPath(x.path), x.upstream && deps.upstreamUrls.get(x.upstream), costUsd),
    );
  }

  function refused(req: IncomingMessage, r: RefusedRequest): void {
    metrics.requests.with(r.client, r.endpoint ?? 'none', req.method!, String(r.status), 'none').inc();
    log.info('request', {
      client: r.client,
      serviceAccount: r.serviceAccount,
      method: req.method,
      endpoint: r.endpoint ?? null,
      path: logPath(req.url ?? '').slice(0, 256), // redacted before it is cut, so no part of a key is left
      status: r.status,
      durationMs: round(performance.now() - r.startedAt),
      ttfbMs: null,
      bytesIn: 0,
      bytesOut: 0,
      upstreamRequestId: null,
      aborted: false,
      error: r.code ?? (r.status === 401 ? 'unauthorized' : undefined),
      reason: r.reason,
    });
  }

  return { proxied, refused };
}

export type Recorder = ReturnType<typeof createRecorder>;

const str = (value: string) => JSON.stringify(value);
const strOrNull = (value: string | undefined) => (value === undefined ? 'null' : JSON.stringify(value));

/**
 * The fields of a proxied request's access log line, serialised here rather than gathered into an object for
 * JSON.stringify: this runs once per request, and building the text directly costs a fraction as much. Every
 * string goes through JSON.stringify; numbers and booleans are written as JSON writes them. Same fields, same
 * order, as the other lines' `{ ...fields }`; the keys are fixed, so none needs escaping.
 */
function outcomeMembers(x: Outcome, model: string | undefined, path: string, upstreamUrl: string | undefined, costUsd: number | undefined): string {
  const { usage, error } = x;
  const failure = error instanceof UpstreamError ? `,"upstreamUrl":${strOrNull(upstreamUrl)},"cause":${JSON.stringify(describeUpstreamFailure(error))}` : '';
  const used = usage
    ? `{"input":${usage.input},"output":${usage.output},"cachedInput":${usage.cachedInput},"reasoning":${usage.reasoning},"estimated":${usage.estimated}}`
    : 'null';
  return (
    `"client":${str(x.client)}${x.serviceAccount === undefined ? '' : `,"serviceAccount":${str(x.serviceAccount)}`}` +
    `,"method":${str(x.method)},"endpoint":${str(x.endpoint)},"path":${str(path)},"status":${x.status}` +
    `,"upstream":${strOrNull(x.upstream)},"attempts":${x.attempts}` +
    `,"durationMs":${round(x.durationMs)},"ttfbMs":${x.ttfbMs === undefined ? 'null' : round(x.ttfbMs)}` +
    `,"bytesIn":${x.bytesIn},"bytesOut":${x.bytesOut},"upstreamRequestId":${strOrNull(x.upstreamRequestId)},"aborted":${x.clientGone}` +
    `${error === undefined ? '' : `,"error":${str(error.code)}`}${failure},"model":${strOrNull(model)},"usage":${used}${costUsd === undefined || !usage ? '' : `,"costUsd":${Number(costUsd.toFixed(9))}`}${x.session ? `,"websocket":${JSON.stringify(x.session)}` : ''}`
  );
}

function countTokens(family: Metrics['tokens'], client: string, model: string, usage: Usage): void {
  family.with(client, model, 'input').inc(usage.input);
  family.with(client, model, 'output').inc(usage.output);
  family.with(client, model, 'cached_input').inc(usage.cachedInput);
  family.with(client, model, 'reasoning').inc(usage.reasoning);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
