import type { Prices } from '../config/types';
import { type ProxyError, budgetExceeded, limitsUnavailable, modelNotAllowed, modelUnreadable, rateLimited } from '../http/errors';
import { costNano, NO_SPEND, type Limits, type Spend, type Ticket, type Verdict } from '../limits';
import type { Metrics } from '../observability/metrics';
import type { Usage } from '../usage/tap';

/** USD per nano-dollar: money is counted in whole nano-dollars (see limits/prices.ts). */
const NANO = 1e-9;

export interface AdmissionDeps {
  limits: Limits;
  prices: Prices;
  /** Whether `limits.prices` names any model: only then does a log line carry `costUsd`. */
  pricesGiven: boolean;
  metrics: Metrics;
  /** A model with no price was used: logged once per model (it costs 0). */
  unpriced(model: string): void;
}

/** What a request or session asks of its client's limits before it goes upstream. */
export interface AdmissionRequest {
  stream: boolean;
  /** The reservation: `ceil(bytes / 4)` tokens of a JSON body, 0 for others; priced as input of `model`. */
  tokens: number;
  model: string | undefined;
}

/**
 * The client's limits, asked once per request (whichever upstream answers it): a ticket to settle when it ends,
 * or the refusal to answer with (429 rate_limit_exceeded or budget_exceeded, 503 limits_unavailable), counted in
 * openai_proxy_rate_limited_total{client,limit}. Synchronous unless the shared store is asked.
 */
export function admitTo(deps: AdmissionDeps, client: string, request: AdmissionRequest): Ticket | ProxyError | Promise<Ticket | ProxyError> {
  const reserve = request.tokens === 0 ? NO_SPEND : { tokens: request.tokens, usd: priceOf(deps, request.model, request.tokens, 0, 0) };
  const verdict = deps.limits.admit(client, { stream: request.stream, reserve });
  return verdict instanceof Promise ? verdict.then((v) => judge(deps, client, v)) : judge(deps, client, verdict);
}

function judge(deps: AdmissionDeps, client: string, verdict: Verdict): Ticket | ProxyError {
  if (verdict.ok) return verdict.ticket;
  if (verdict.unavailable) return limitsUnavailable();
  deps.metrics.rateLimited.with(client, verdict.limit).inc();
  return verdict.budget ? budgetExceeded(verdict.limit, verdict.retryAfterSeconds) : rateLimited(verdict.limit, verdict.retryAfterSeconds);
}

/**
 * A client's `allowedModels`: a request that names a model (it has a body, or a session's `?model=`) must name
 * one of them, and one whose model cannot be read is refused too (an allowlist fails closed).
 */
export function modelRefusal(allowed: ReadonlySet<string> | undefined, namesModel: boolean, model: string | undefined): ProxyError | undefined {
  if (!allowed || !namesModel) return undefined;
  if (model === undefined) return modelUnreadable();
  return allowed.has(model) ? undefined : modelNotAllowed();
}

/** What a response used, for the limits (tokens, nano-dollars) and for the log and metrics (USD). */
export interface Priced {
  spend: Spend;
  /** Undefined without `limits.prices` (or without usage); 0 for a model it does not price. */
  costUsd: number | undefined;
}

export function priced(deps: AdmissionDeps, model: string | undefined, usage: Usage | undefined): Priced {
  if (!usage) return { spend: NO_SPEND, costUsd: undefined };
  const nano = priceOf(deps, model, usage.input, usage.cachedInput, usage.output);
  return { spend: { tokens: usage.input + usage.output, usd: nano }, costUsd: deps.pricesGiven ? nano * NANO : undefined };
}

function priceOf(deps: AdmissionDeps, model: string | undefined, input: number, cachedInput: number, output: number): number {
  const price = model === undefined ? undefined : deps.prices[model];
  if (!price) {
    if (model !== undefined && deps.pricesGiven) deps.unpriced(model);
    return 0;
  }
  return costNano(price, { input, cachedInput, output });
}
