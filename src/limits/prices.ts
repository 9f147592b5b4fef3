import type { Price, Prices } from '../config/limits';
import { NANO_PER_USD } from './plan';

/** Token counts of one response; `cachedInput` is part of `input`. */
export interface TokenUsage {
  input: number;
  cachedInput?: number;
  output: number;
}

/**
 * The cost of a response in USD: (input - cached) x input + cached x cachedInput + output x output, prices per
 * 1M tokens. Computed in integers (pico-dollars per token, exact for prices of up to six decimals), then
 * rounded up to a whole nano-dollar, the unit the budgets count in, so a budget's sum of costs is exact.
 * A model without a price costs 0; `unpriced` hears of it (see warnOncePerModel).
 */
export function costUsd(prices: Prices, model: string | undefined, usage: TokenUsage, unpriced?: (model: string) => void): number {
  const price = model === undefined ? undefined : prices[model];
  if (!price) {
    if (model !== undefined && unpriced && (usage.input > 0 || usage.output > 0)) unpriced(model);
    return 0;
  }
  return costNano(price, usage) / NANO_PER_USD;
}

export function costNano(price: Price, usage: TokenUsage): number {
  const cached = Math.min(Math.max(0, usage.cachedInput ?? 0), usage.input);
  const pico = (usage.input - cached) * pico6(price.input) + cached * pico6(price.cachedInput) + usage.output * pico6(price.output);
  return Math.ceil(pico / 1000);
}

/** USD per 1M tokens is pico-dollars per token times 10^-6: 0.4 $/1M = 400,000 pico-dollars a token. */
const pico6 = (usdPerMillion: number): number => Math.round(usdPerMillion * 1e6);

/** For `unpriced`: calls `warn` the first time a model is seen (at most 1,000 names are remembered). */
export function warnOncePerModel(warn: (model: string) => void): (model: string) => void {
  const seen = new Set<string>();
  return (model) => {
    if (seen.has(model) || seen.size >= 1000) return;
    seen.add(model);
    warn(model);
  };
}
