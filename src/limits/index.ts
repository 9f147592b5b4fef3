/** Per-client limits and budgets: the engine (memory or Redis), its types, and what a response costs. */
export { createLimits, type CreateLimitsOptions } from './create';
export { costNano, costUsd, warnOncePerModel, type TokenUsage } from './prices';
export * from './types';
