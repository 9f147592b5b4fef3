import { AUTH_HEADERS, BILLING_HEADERS, type AuthHeader } from '../http/headers';
import { type Problems, isRecord, rejectUnknownKeys } from './checks';
import { streamUsageFor, type StreamUsageSetting } from './usage';
import { parseUpstreamKey, upstreamKeyFromEnv } from './workload-identity';
import type { Env, UpstreamConfig } from './types';

/** The `upstream:` section of the config file and the environment variables that replace its fields. */

const DEFAULT_BASE_URL = 'https://api.openai.com';
const UPSTREAM_SETTINGS = ['name', 'baseUrl', 'apiKey', 'authHeader', 'passClientHeaders', 'fallbacks', 'fallbackOn', 'fallbackBodyLimitBytes'];
/** An upstream's name: a metric label. */
export const UPSTREAM_NAME = /^[a-z0-9._-]{1,64}$/;

export function parseUpstream(env: Env, raw: unknown, streamUsage: StreamUsageSetting, problems: Problems): UpstreamConfig {
  const section = isRecord(raw) ? raw : {};
  if (raw !== undefined && !isRecord(raw)) problems.add('upstream', 'must be a mapping');
  rejectUnknownKeys(section, UPSTREAM_SETTINGS, 'upstream', problems);
  const fromEnv = env.OPENAI_BASE_URL ? 'OPENAI_BASE_URL' : undefined;
  const baseSetting = fromEnv ?? 'upstream.baseUrl';
  const rawBase = fromEnv ? env.OPENAI_BASE_URL : (section.baseUrl ?? DEFAULT_BASE_URL);
  const base = typeof rawBase === 'string' ? parseBaseUrl(rawBase, baseSetting, problems) : undefined;
  if (typeof rawBase !== 'string') problems.add(baseSetting, 'must be a URL string');

  const fileKey = section.apiKey === undefined ? undefined : parseUpstreamKey(section.apiKey, 'upstream.apiKey', problems);
  const envKey = upstreamKeyFromEnv(env, fileKey, problems);
  const origin = base ?? { protocol: 'https:', hostname: 'api.openai.com', port: 443, host: 'api.openai.com', basePath: '', display: DEFAULT_BASE_URL };
  return {
    ...origin,
    name: parseName(section.name, problems),
    setting: 'upstream',
    apiKey: envKey?.ref ?? fileKey,
    apiKeySetting: envKey?.setting ?? 'upstream.apiKey',
    authHeader: parseAuthHeader(env, section.authHeader, problems),
    passClientHeaders: parsePassClientHeaders(section.passClientHeaders, problems),
    connectTimeoutMs: problems.int(env, 'UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, 1),
    firstByteTimeoutMs: problems.int(env, 'UPSTREAM_FIRST_BYTE_TIMEOUT_MS', 600_000, 1),
    idleTimeoutMs: problems.int(env, 'UPSTREAM_IDLE_TIMEOUT_MS', 600_000, 1),
    keepAliveTimeoutMs: problems.int(env, 'UPSTREAM_KEEPALIVE_TIMEOUT_MS', defaultKeepAliveMs(origin.hostname), 1),
    streamUsage: streamUsageFor(streamUsage, origin.hostname),
  };
}

function parseName(raw: unknown, problems: Problems): string {
  if (raw === undefined || raw === null) return 'primary';
  if (typeof raw === 'string' && UPSTREAM_NAME.test(raw)) return raw;
  problems.add('upstream.name', 'must be 1-64 characters of a-z 0-9 . _ -');
  return 'primary';
}

/**
 * How long an idle upstream connection is kept; the proxy must close it before the upstream does. Servers
 * in a cluster (uvicorn for vLLM, Node) close idle connections after 5 s without saying so: 4 s. api.openai.com
 * sits behind Cloudflare, which keeps idle HTTP/1.1 connections 400 s: 60 s saves a TLS handshake after every
 * pause and stays inside that and inside the NAT idle timeouts of a cluster's egress (Azure's 4 minutes is
 * the shortest common one).
 */
export function defaultKeepAliveMs(hostname: string): number {
  return hostname === 'api.openai.com' ? 60_000 : 4_000;
}

/** `upstream.passClientHeaders`: which of the billing headers a client's own may set (names as HTTP matches them). */
function parsePassClientHeaders(raw: unknown, problems: Problems): string[] {
  if (raw === undefined || raw === null) return [];
  const names = Array.isArray(raw) ? raw.map((name) => (typeof name === 'string' ? name.toLowerCase() : name)) : undefined;
  if (!names || names.some((name) => !BILLING_HEADERS.includes(name))) {
    problems.add('upstream.passClientHeaders', 'must be a list of OpenAI-Organization, OpenAI-Project');
    return [];
  }
  return names;
}

/** `OPENAI_AUTH_HEADER`, else `upstream.authHeader`; the name is matched as HTTP header names are, ignoring case. */
function parseAuthHeader(env: Env, fromFile: unknown, problems: Problems): AuthHeader {
  const setting = env.OPENAI_AUTH_HEADER ? 'OPENAI_AUTH_HEADER' : 'upstream.authHeader';
  const raw = env.OPENAI_AUTH_HEADER || fromFile;
  if (raw === undefined || raw === null) return 'authorization';
  const name = typeof raw === 'string' ? raw.toLowerCase() : raw;
  if ((AUTH_HEADERS as readonly unknown[]).includes(name)) return name as AuthHeader;
  problems.add(setting, `must be one of ${AUTH_HEADERS.join(', ')}`);
  return 'authorization';
}

type Base = Pick<UpstreamConfig, 'protocol' | 'hostname' | 'port' | 'host' | 'basePath' | 'display'>;

/** Accepts an origin with or without a path prefix; a trailing `/v1` is dropped because paths carry it. */
export function parseBaseUrl(raw: string, setting: string, problems: Problems): Base | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.add(setting, 'must be an absolute http:// or https:// URL');
    return undefined;
  }
  const before = problems.list.length;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.add(setting, 'must use http:// or https://');
  if (url.username || url.password) problems.add(setting, 'must not contain credentials; give the key as OPENAI_API_KEY');
  if (url.search || url.hash) problems.add(setting, 'must not contain a query or fragment');
  if (problems.list.length > before) return undefined;
  let basePath = url.pathname.replace(/\/+$/, '');
  if (basePath.endsWith('/v1')) basePath = basePath.slice(0, -3);
  const protocol = url.protocol as Base['protocol'];
  const port = url.port ? Number(url.port) : protocol === 'https:' ? 443 : 80;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { protocol, hostname, port, host: url.host, basePath, display: url.origin + basePath };
}
