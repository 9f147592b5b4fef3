import { AUTH_HEADERS, type AuthHeader } from '../http/headers';
import { type Problems, isRecord, rejectUnknownKeys } from './checks';
import type { ClientConfig, Env, FallbackOn, UpstreamConfig } from './types';
import { UPSTREAM_NAME, defaultKeepAliveMs, parseBaseUrl } from './upstream';
import { streamUsageFor, type StreamUsageSetting } from './usage';
import { parseUpstreamKey } from './workload-identity';

/**
 * `upstream.fallbacks`, `upstream.fallbackOn` and `upstream.fallbackBodyLimitBytes`: the upstreams a request moves
 * on to when the one before fails, and when it does. A fallback has its own base URL, credential and auth header;
 * its timeouts and header rules are the primary's. There is no environment form: a chain is a config file's.
 */

export const DEFAULT_FALLBACK_ON: FallbackOn = { statuses: new Set([429, 500, 502, 503, 504]), connect: true };
export const DEFAULT_FALLBACK_BODY_LIMIT = 1024 * 1024;

export interface Fallbacks {
  fallbacks: UpstreamConfig[];
  fallbackOn: FallbackOn;
  fallbackBodyLimitBytes: number;
}

export function parseFallbacks(env: Env, raw: unknown, primary: UpstreamConfig, streamUsage: StreamUsageSetting, problems: Problems): Fallbacks {
  const section = isRecord(raw) ? raw : {};
  const list = section.fallbacks;
  const fallbacks: UpstreamConfig[] = [];
  if (list !== undefined && list !== null && !Array.isArray(list)) problems.add('upstream.fallbacks', 'must be a list of upstreams');
  const names = new Set([primary.name]);
  for (const [i, entry] of (Array.isArray(list) ? list : []).entries()) {
    const fallback = parseFallback(env, entry, `upstream.fallbacks[${i}]`, primary, streamUsage, problems);
    if (!fallback) continue;
    if (names.has(fallback.name)) problems.add(`upstream.fallbacks[${i}].name`, `"${fallback.name}" names another upstream too`);
    names.add(fallback.name);
    fallbacks.push(fallback);
  }
  return {
    fallbacks,
    fallbackOn: parseFallbackOn(section.fallbackOn, problems),
    fallbackBodyLimitBytes: parseBodyLimit(section.fallbackBodyLimitBytes, problems),
  };
}

function parseFallback(env: Env, raw: unknown, setting: string, primary: UpstreamConfig, streamUsage: StreamUsageSetting, problems: Problems) {
  if (!isRecord(raw)) return problems.add(setting, 'must be a mapping with name, baseUrl and apiKey');
  rejectUnknownKeys(raw, ['name', 'baseUrl', 'apiKey', 'authHeader'], setting, problems);
  const name =
    typeof raw.name === 'string' && UPSTREAM_NAME.test(raw.name) ? raw.name : problems.add(`${setting}.name`, 'required: 1-64 characters of a-z 0-9 . _ -');
  const base =
    typeof raw.baseUrl === 'string' ? parseBaseUrl(raw.baseUrl, `${setting}.baseUrl`, problems) : problems.add(`${setting}.baseUrl`, 'required: a URL string');
  const apiKey = raw.apiKey === undefined ? undefined : parseUpstreamKey(raw.apiKey, `${setting}.apiKey`, problems);
  const authHeader = fallbackAuthHeader(env, raw.authHeader, `${setting}.authHeader`, problems);
  if (!name || !base) return undefined;
  const fallback: UpstreamConfig = {
    ...primary,
    ...base,
    name,
    setting,
    apiKey,
    apiKeySetting: `${setting}.apiKey`,
    authHeader,
    keepAliveTimeoutMs: env.UPSTREAM_KEEPALIVE_TIMEOUT_MS ? primary.keepAliveTimeoutMs : defaultKeepAliveMs(base.hostname),
    streamUsage: streamUsageFor(streamUsage, base.hostname),
  };
  return fallback;
}

/** A fallback's own `authHeader`, else `OPENAI_AUTH_HEADER`, else `authorization`. */
function fallbackAuthHeader(env: Env, raw: unknown, setting: string, problems: Problems): AuthHeader {
  const value = raw ?? (env.OPENAI_AUTH_HEADER || undefined);
  if (value === undefined || value === null) return 'authorization';
  const name = typeof value === 'string' ? value.toLowerCase() : value;
  if ((AUTH_HEADERS as readonly unknown[]).includes(name)) return name as AuthHeader;
  problems.add(raw === undefined ? 'OPENAI_AUTH_HEADER' : setting, `must be one of ${AUTH_HEADERS.join(', ')}`);
  return 'authorization';
}

function parseFallbackOn(raw: unknown, problems: Problems): FallbackOn {
  if (raw === undefined || raw === null) return DEFAULT_FALLBACK_ON;
  const valid = (v: unknown) => v === 'connect' || (typeof v === 'number' && Number.isInteger(v) && v >= 400 && v <= 599);
  if (!Array.isArray(raw) || !raw.every(valid)) {
    problems.add('upstream.fallbackOn', 'must be a list of statuses (400-599) and connect');
    return DEFAULT_FALLBACK_ON;
  }
  return { statuses: new Set(raw.filter((v): v is number => typeof v === 'number')), connect: raw.includes('connect') };
}

function parseBodyLimit(raw: unknown, problems: Problems): number {
  if (raw === undefined || raw === null) return DEFAULT_FALLBACK_BODY_LIMIT;
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
  problems.add('upstream.fallbackBodyLimitBytes', 'must be a whole number of bytes >= 0');
  return DEFAULT_FALLBACK_BODY_LIMIT;
}

/**
 * A fallback serves the callers without an upstream key of their own with its `apiKey`, and a client with its
 * own key only with that client's `fallbackKeys` entry (else the fallback is skipped for it: one tenant's
 * traffic is never billed to another's key). So a fallback without `apiKey` is an error only when some caller
 * would need it; a `fallbackKeys` entry must name a fallback.
 */
export function checkFallbackKeys(clients: readonly ClientConfig[], fallbacks: readonly UpstreamConfig[], auth: string, problems: Problems): void {
  const names = new Set(fallbacks.map((f) => f.name));
  for (const client of clients) {
    for (const name of Object.keys(client.fallbackKeys ?? {})) {
      if (!names.has(name))
        problems.add(`${client.setting}.fallbackKeys.${name}`, `names no fallback upstream (upstream.fallbacks: ${[...names].join(', ') || 'none'})`);
    }
  }
  const defaultUsed = auth === 'none' || clients.length === 0 || clients.some((c) => !c.upstreamKey);
  if (!defaultUsed) return;
  for (const fallback of fallbacks) {
    if (!fallback.apiKey) problems.add(fallback.apiKeySetting, 'required: callers without an upstream key of their own use it');
  }
}
