import { parseRedisUrl, redactRedisUrl } from '../redis/url';
import { type Problems, isRecord, parseSecretRef, rejectUnknownKeys, secretFromEnv } from './checks';
import type { ClientLimits, Env, LimitName, LimitsConfig, Price, Prices, RedisStoreConfig } from './types';

export type { ClientLimits, LimitName, LimitsConfig, Price, Prices, RedisStoreConfig };

/** The `limits:` section (the shared store, what a store fault does, prices) and a client's `limits` and `allowedModels`. */

export const LIMIT_NAMES: readonly LimitName[] = [
  'requestsPerMinute',
  'tokensPerMinute',
  'tokensPerDay',
  'tokensPerMonth',
  'usdPerDay',
  'usdPerMonth',
  'concurrentStreams',
];

/** Day and month windows: their refusals are `budget_exceeded`, the per-minute ones and streams `rate_limit_exceeded`. */
export const BUDGETS: ReadonlySet<LimitName> = new Set(['tokensPerDay', 'tokensPerMonth', 'usdPerDay', 'usdPerMonth']);
const USD_LIMITS: ReadonlySet<LimitName> = new Set(['usdPerDay', 'usdPerMonth']);
/** Money is counted in whole nano-dollars in a double: exact up to 2^53, so a budget stays under 9 million dollars. */
export const MAX_USD_LIMIT = 9_000_000;

const AT = 'limits.store.redis';
const DEFAULT_PREFIX = 'openai-proxy:';
const DEFAULT_TIMEOUT_MS = 100;

export function parseLimitsConfig(raw: unknown, env: Env, problems: Problems): LimitsConfig {
  if (raw !== undefined && raw !== null && !isRecord(raw)) problems.add('limits', 'must be a mapping (store, onStoreError, prices)');
  const section = isRecord(raw) ? raw : {};
  rejectUnknownKeys(section, ['store', 'onStoreError', 'prices'], 'limits', problems);
  const onStoreError = section.onStoreError ?? 'local';
  if (onStoreError !== 'local' && onStoreError !== 'deny') problems.add('limits.onStoreError', 'must be "local" or "deny"');
  const overridden: Record<string, string> = {};
  return {
    redis: parseStore(section.store, env, overridden, problems),
    onStoreError: onStoreError === 'deny' ? 'deny' : 'local',
    prices: parsePrices(section.prices, problems),
    overridden,
  };
}

function parseStore(raw: unknown, env: Env, overridden: Record<string, string>, problems: Problems): RedisStoreConfig | undefined {
  let redis: Record<string, unknown> = {};
  if (raw !== undefined && raw !== null) {
    if (!isRecord(raw)) return problems.add('limits.store', 'must be a mapping with redis');
    rejectUnknownKeys(raw, ['redis'], 'limits.store', problems);
    if (!isRecord(raw.redis)) return problems.add(AT, 'must be a mapping with url (Redis is the store there is)');
    redis = raw.redis;
    rejectUnknownKeys(redis, ['url', 'username', 'password', 'caFile', 'keyPrefix', 'timeoutMs'], AT, problems);
  }
  const secret = (field: string, envName: string) => {
    const fromEnv = secretFromEnv(env, envName, problems);
    if (fromEnv && redis[field] !== undefined) overridden[`${AT}.${field}`] = fromEnv.setting;
    if (fromEnv) return { ref: fromEnv.ref, setting: fromEnv.setting };
    if (redis[field] === undefined || redis[field] === null) return undefined;
    const setting = `${AT}.${field}`;
    const value = redis[field];
    const ref = typeof value === 'string' && value !== '' ? ({ kind: 'value', value } as const) : parseSecretRef(value, setting, false, problems);
    return ref && { ref, setting };
  };
  const url = secret('url', 'LIMITS_REDIS_URL');
  const username = secret('username', 'LIMITS_REDIS_USERNAME');
  const password = secret('password', 'LIMITS_REDIS_PASSWORD');
  if (!url) {
    if (raw !== undefined && raw !== null && !problems.has(/^limits\.store\.redis\.url|^LIMITS_REDIS_URL/)) problems.add(`${AT}.url`, 'required');
    for (const given of [username, password]) if (given) problems.add(given.setting, 'needs a Redis URL: set LIMITS_REDIS_URL or limits.store.redis.url');
    if (redis.caFile !== undefined) problems.add(`${AT}.caFile`, 'needs a Redis URL: set LIMITS_REDIS_URL or limits.store.redis.url');
    return undefined;
  }
  const text = url.ref.kind === 'value' ? url.ref.value : url.ref.kind === 'env' ? env[url.ref.name] : undefined;
  if (text !== undefined) checkRedisUrl(text, url.setting, problems);
  const caFile = parseCaFile(redis.caFile, text, problems);
  return {
    url: url.ref,
    urlSetting: url.setting,
    display: text !== undefined ? redactRedisUrl(text) : `the URL in ${url.ref.kind === 'file' ? `file ${url.ref.path}` : url.setting}`,
    username: username?.ref,
    password: password?.ref,
    caFile,
    keyPrefix: parseKeyPrefix(redis.keyPrefix, problems),
    timeoutMs: parseTimeout(redis.timeoutMs, problems),
  };
}

/** For a URL known only once its secret is read (a file): the same checks, at start. Problems never repeat the URL. */
export function checkRedisUrl(text: string, setting: string, problems: Problems): void {
  const parsed = parseRedisUrl(text.trim());
  if ('problem' in parsed) problems.add(setting, parsed.problem);
}

function parseCaFile(raw: unknown, url: string | undefined, problems: Problems): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' || raw === '') return problems.add(`${AT}.caFile`, 'must be the path of a PEM file');
  if (url !== undefined && /^redis:/i.test(url.trim())) problems.add(`${AT}.caFile`, 'is for rediss:// (TLS) URLs only');
  return raw;
}

function parseKeyPrefix(raw: unknown, problems: Problems): string {
  if (raw === undefined || raw === null) return DEFAULT_PREFIX;
  // Braces would change the hash tag that keeps a client's keys in one cluster slot.
  if (typeof raw !== 'string' || raw.length > 100 || /[{}\s]/.test(raw) || hasControlCharacter(raw)) {
    problems.add(`${AT}.keyPrefix`, 'must be a string of at most 100 characters without braces, spaces or control characters');
    return DEFAULT_PREFIX;
  }
  return raw;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function parseTimeout(raw: unknown, problems: Problems): number {
  if (raw === undefined || raw === null) return DEFAULT_TIMEOUT_MS;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > 60_000) {
    problems.add(`${AT}.timeoutMs`, 'must be a whole number of milliseconds from 1 to 60000');
    return DEFAULT_TIMEOUT_MS;
  }
  return raw;
}

function parsePrices(raw: unknown, problems: Problems): Prices {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) {
    problems.add('limits.prices', 'must be a mapping of model name to { input, cachedInput?, output }');
    return {};
  }
  const prices: Record<string, Price> = {};
  for (const [model, entry] of Object.entries(raw)) {
    const at = `limits.prices.${model}`;
    if (!isRecord(entry)) {
      problems.add(at, 'must be { input, cachedInput?, output } in USD per 1M tokens');
      continue;
    }
    rejectUnknownKeys(entry, ['input', 'cachedInput', 'output'], at, problems);
    const input = usdPerMillion(entry.input, `${at}.input`, true, problems);
    const output = usdPerMillion(entry.output, `${at}.output`, true, problems);
    const cachedInput = usdPerMillion(entry.cachedInput, `${at}.cachedInput`, false, problems) ?? input;
    if (input !== undefined && output !== undefined && cachedInput !== undefined) prices[model] = { input, cachedInput, output };
  }
  return prices;
}

function usdPerMillion(raw: unknown, setting: string, required: boolean, problems: Problems): number | undefined {
  if (raw === undefined || raw === null) return required ? problems.add(setting, 'required (USD per 1M tokens)') : undefined;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0 || raw > 1_000_000)
    return problems.add(setting, 'must be a number of USD per 1M tokens, from 0 to 1000000');
  return raw;
}

/** A client's `limits`: the token, request and stream limits whole numbers >= 1, the usd ones positive numbers. */
export function parseClientLimits(raw: unknown, setting: string, problems: Problems): ClientLimits | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) return problems.add(setting, `must be a mapping of ${LIMIT_NAMES.join(', ')}`);
  rejectUnknownKeys(raw, LIMIT_NAMES, setting, problems);
  const limits: ClientLimits = {};
  for (const name of LIMIT_NAMES) {
    const value = raw[name];
    if (value === undefined || value === null) continue;
    if (USD_LIMITS.has(name)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_USD_LIMIT) {
        problems.add(`${setting}.${name}`, `must be a number of USD above 0 and at most ${MAX_USD_LIMIT}`);
      } else limits[name] = value;
    } else if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      problems.add(`${setting}.${name}`, 'must be a whole number >= 1');
    } else limits[name] = value;
  }
  return limits;
}

/** A client's `allowedModels`: a non-empty list of non-empty strings. */
export function parseAllowedModels(raw: unknown, setting: string, problems: Problems): readonly string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((m) => typeof m !== 'string' || m.trim() === '')) {
    return problems.add(setting, 'must be a non-empty list of model names');
  }
  return [...new Set(raw as string[])];
}

/** A usd budget without prices could never be reached (every request would cost 0): a mistake worth stopping for. */
export function checkUsdLimitsHavePrices(clients: readonly { setting: string; limits?: ClientLimits }[], limits: LimitsConfig, problems: Problems): void {
  if (Object.keys(limits.prices).length > 0) return;
  for (const client of clients) {
    for (const name of USD_LIMITS) {
      if (client.limits?.[name] !== undefined) problems.add(`${client.setting}.limits.${name}`, 'needs limits.prices: without prices every request costs 0');
    }
  }
}
