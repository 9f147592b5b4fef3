import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isKnownKey, redactKeys } from '../keys/key-table';
import { ModelLabels, loggedModel } from '../observability/model-labels';
import { type CounterSeries, type HistogramSeries, LabelTrie } from '../observability/series';
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
  // Labels are bounded, and so are these: each holds the series one kind of request ends in, found once.
  const requestSeries = new LabelTrie<RequestSeries>(5);
  const labels: string[] = ['', '', '', '', ''];
  function seriesOf(client: string, endpoint: string, method: string, status: string, model: string): RequestSeries {
    labels[0] = client;
    labels[1] = endpoint;
    labels[2] = method;
    labels[3] = status;
    labels[4] = model;
    let found = requestSeries.get(labels);
    if (found === undefined) {
      found = new RequestSeries(metrics, labels);
      requestSeries.set(labels, found);
    }
    return found;
  }

  /** `costUsd`: what it cost, with `limits.prices`. */
  function proxied(x: Outcome, costUsd: number | undefined): void {
    const { client, status } = x;
    const model = modelLabels.label(x.model);
    const statusLabel = String(status);
    const series = seriesOf(client, x.endpoint, x.method, statusLabel, model);
    series.requests.inc();
    if (x.usage) countTokens(series.tokens(), x.usage);
    if (x.usage?.estimated) countTokens(series.estimatedTokens(), x.usage);
    if (costUsd) series.cost().inc(costUsd);
    series.duration.observe(x.durationMs / 1000);
    if (x.ttfbMs !== undefined) series.ttfb().observe(x.ttfbMs / 1000);
    if (x.clientGone) series.aborts().inc();
    log.infoMembers(
      'request',
      outcomeMembers(x, series, loggedModel(x.model, model, isKey), logPath(x.path), x.upstream && deps.upstreamUrls.get(x.upstream), costUsd),
    );
  }

  function refused(req: IncomingMessage, r: RefusedRequest): void {
    // The log says `none` as the metric label does, so a line and its series are found by the same word.
    const endpoint = r.endpoint ?? 'none';
    metrics.requests.with(r.client, endpoint, req.method!, String(r.status), 'none').inc();
    log.info('request', {
      client: r.client,
      serviceAccount: r.serviceAccount,
      method: req.method,
      endpoint,
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
function outcomeMembers(
  x: Outcome,
  series: RequestSeries,
  model: string | undefined,
  path: string,
  upstreamUrl: string | undefined,
  costUsd: number | undefined,
): string {
  const { usage, error } = x;
  const failure = error instanceof UpstreamError ? `,"upstreamUrl":${strOrNull(upstreamUrl)},"cause":${JSON.stringify(describeUpstreamFailure(error))}` : '';
  const used = usage
    ? `{"input":${usage.input},"output":${usage.output},"cachedInput":${usage.cachedInput},"reasoning":${usage.reasoning},"estimated":${usage.estimated}}`
    : 'null';
  return (
    series.clientMember +
    `${x.serviceAccount === undefined ? '' : `,"serviceAccount":${str(x.serviceAccount)}`}` +
    series.routeMembers +
    `,"path":${str(path)},"status":${x.status}` +
    `,"upstream":${strOrNull(x.upstream)},"attempts":${x.attempts}` +
    `,"durationMs":${round(x.durationMs)},"ttfbMs":${x.ttfbMs === undefined ? 'null' : round(x.ttfbMs)}` +
    `,"bytesIn":${x.bytesIn},"bytesOut":${x.bytesOut},"upstreamRequestId":${strOrNull(x.upstreamRequestId)},"aborted":${x.clientGone}` +
    `${error === undefined ? '' : `,"error":${str(error.code)}`}${failure},"model":${strOrNull(model)},"usage":${used}${costUsd === undefined || !usage ? '' : `,"costUsd":${Number(costUsd.toFixed(9))}`}${x.session ? `,"websocket":${JSON.stringify(x.session)}` : ''}`
  );
}

/**
 * The series a proxied request's metrics go to: one set per client, endpoint, method, status and model label. The
 * two every request updates are found at once, the others on first use (a series exists once it was updated).
 */
class RequestSeries {
  readonly requests: CounterSeries;
  readonly duration: HistogramSeries;
  /** The access log's `"client":...` and `,"method":...,"endpoint":...`, the same for every line of these. */
  readonly clientMember: string;
  readonly routeMembers: string;
  private readonly client: string;
  private readonly endpoint: string;
  private readonly model: string;
  private ttfbSeries: HistogramSeries | undefined;
  private abortSeries: CounterSeries | undefined;
  private tokenCounts: TokenSeries | undefined;
  private estimatedCounts: TokenSeries | undefined;
  private costSeries: CounterSeries | undefined;

  constructor(
    private readonly metrics: Metrics,
    [client, endpoint, method, status, model]: readonly string[],
  ) {
    this.client = client!;
    this.endpoint = endpoint!;
    this.model = model!;
    this.requests = metrics.requests.with(this.client, this.endpoint, method!, status!, this.model);
    this.duration = metrics.duration.with(this.client, this.endpoint, status!);
    this.clientMember = `"client":${str(this.client)}`;
    this.routeMembers = `,"method":${str(method!)},"endpoint":${str(this.endpoint)}`;
  }

  ttfb(): HistogramSeries {
    if (this.ttfbSeries === undefined) this.ttfbSeries = this.metrics.ttfb.with(this.client, this.endpoint);
    return this.ttfbSeries;
  }

  aborts(): CounterSeries {
    if (this.abortSeries === undefined) this.abortSeries = this.metrics.clientAborts.with(this.client, this.endpoint);
    return this.abortSeries;
  }

  tokens(): TokenSeries {
    if (this.tokenCounts === undefined) this.tokenCounts = tokenSeries(this.metrics.tokens, this.client, this.model);
    return this.tokenCounts;
  }

  estimatedTokens(): TokenSeries {
    if (this.estimatedCounts === undefined) this.estimatedCounts = tokenSeries(this.metrics.tokensEstimated, this.client, this.model);
    return this.estimatedCounts;
  }

  cost(): CounterSeries {
    if (this.costSeries === undefined) this.costSeries = this.metrics.costUsd.with(this.client, this.model);
    return this.costSeries;
  }
}

interface TokenSeries {
  input: CounterSeries;
  output: CounterSeries;
  cachedInput: CounterSeries;
  reasoning: CounterSeries;
}

function tokenSeries(family: Metrics['tokens'], client: string, model: string): TokenSeries {
  return {
    input: family.with(client, model, 'input'),
    output: family.with(client, model, 'output'),
    cachedInput: family.with(client, model, 'cached_input'),
    reasoning: family.with(client, model, 'reasoning'),
  };
}

function countTokens(series: TokenSeries, usage: Usage): void {
  series.input.inc(usage.input);
  series.output.inc(usage.output);
  series.cachedInput.inc(usage.cachedInput);
  series.reasoning.inc(usage.reasoning);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
