import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LOG_LEVELS, type LogLevel } from './log';
import { DEFAULT_ENDPOINTS, normaliseTarget } from './routes';
import { Problems, type Problem, isRecord, rejectUnknownKeys, headerProblem } from './config-checks';

/** A secret is given as exactly one of these; `sha256` only for client keys (the proxy never needs it back). */
export type SecretRef =
  | { kind: 'value'; value: string }
  | { kind: 'env'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'sha256'; digest: string };

export interface ClientLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  concurrentStreams?: number;
}

export interface ClientConfig {
  name: string;
  /** Where the setting came from, for error messages: `clients[2]` or `PROXY_X_API_KEY`. */
  setting: string;
  key: SecretRef;
  upstreamKey?: SecretRef;
  headers: Readonly<Record<string, string>>;
  limits?: ClientLimits;
}

export interface UpstreamConfig {
  protocol: 'https:' | 'http:';
  hostname: string;
  port: number;
  /** Host header value. */
  host: string;
  /** Path prefix the allowlisted path is appended to ('' for api.openai.com). */
  basePath: string;
  /** For logs: origin and prefix, never credentials (refused at parse time). */
  display: string;
  apiKey?: SecretRef;
  apiKeySetting: string;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export interface Config {
  host: string;
  port: number;
  adminHost: string;
  adminPort: number;
  logLevel: LogLevel;
  shutdownGraceMs: number;
  auth: 'key' | 'none';
  maxBodyBytes: number;
  upstream: UpstreamConfig;
  clients: readonly ClientConfig[];
  models: readonly string[];
  endpoints: readonly string[];
}

export type { Problem };
export type Env = Readonly<Record<string, string | undefined>>;
type ReadText = (path: string) => string;

const DEFAULT_BASE_URL = 'https://api.openai.com';

/** Parses the environment and the optional YAML file into one frozen Config, collecting every problem. */
export function loadConfig(env: Env, readText: ReadText = (p) => readFileSync(p, 'utf8')): { config?: Config; problems: Problem[] } {
  const problems = new Problems();
  const get = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const file = get('PROXY_CONFIG') === undefined ? {} : readConfigFile(get('PROXY_CONFIG')!, readText, problems);

  const host = get('HOST') ?? '0.0.0.0';
  const auth = get('PROXY_AUTH') ?? 'key';
  if (auth !== 'key' && auth !== 'none') problems.add('PROXY_AUTH', 'must be "key" or "none"');
  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.add('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const upstream = parseUpstream(env, file.upstream, problems);
  const clients = [...parseClients(file.clients, problems), ...envClient(env, problems)];
  checkClients(clients, auth, host, upstream, problems);

  const config: Config = {
    host,
    port: problems.int(env, 'PORT', 18443, 0, 65535),
    adminHost: get('ADMIN_HOST') ?? '0.0.0.0',
    adminPort: problems.int(env, 'ADMIN_PORT', 9090, 0, 65535),
    logLevel: logLevel as LogLevel,
    shutdownGraceMs: problems.int(env, 'SHUTDOWN_GRACE_MS', 30_000, 0),
    auth: auth as Config['auth'],
    maxBodyBytes: problems.int(env, 'MAX_BODY_BYTES', 104_857_600, 1),
    upstream,
    clients,
    models: parseStringList(file.models, 'models', problems) ?? [],
    endpoints: parseEndpoints(file.endpoints, problems),
  };
  if (config.port !== 0 && config.port === config.adminPort && config.host === config.adminHost) {
    problems.add('ADMIN_PORT', 'must differ from PORT');
  }
  return problems.list.length > 0 ? { problems: problems.list } : { config: deepFreeze(config), problems: [] };
}

interface ConfigFile {
  upstream?: unknown;
  clients?: unknown;
  models?: unknown;
  endpoints?: unknown;
}

function readConfigFile(path: string, readText: ReadText, problems: Problems): ConfigFile {
  let text: string;
  try {
    text = readText(path);
  } catch (err) {
    problems.add('PROXY_CONFIG', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return {};
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    problems.add('PROXY_CONFIG', `${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return {};
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) {
    problems.add('PROXY_CONFIG', `${path} must hold a mapping (upstream, clients, models, endpoints)`);
    return {};
  }
  rejectUnknownKeys(doc, ['upstream', 'clients', 'models', 'endpoints'], '', problems);
  return doc;
}

function parseUpstream(env: Env, raw: unknown, problems: Problems): UpstreamConfig {
  const section = isRecord(raw) ? raw : {};
  if (raw !== undefined && !isRecord(raw)) problems.add('upstream', 'must be a mapping');
  rejectUnknownKeys(section, ['baseUrl', 'apiKey'], 'upstream', problems);
  const fromEnv = env.OPENAI_BASE_URL ? 'OPENAI_BASE_URL' : undefined;
  const baseSetting = fromEnv ?? 'upstream.baseUrl';
  const rawBase = fromEnv ? env.OPENAI_BASE_URL : section.baseUrl ?? DEFAULT_BASE_URL;
  const base = typeof rawBase === 'string' ? parseBaseUrl(rawBase, baseSetting, problems) : undefined;
  if (typeof rawBase !== 'string') problems.add(baseSetting, 'must be a URL string');

  const envKey = secretFromEnv(env, 'OPENAI_API_KEY', problems);
  const fileKey = section.apiKey === undefined ? undefined : parseSecretRef(section.apiKey, 'upstream.apiKey', false, problems);
  return {
    ...(base ?? { protocol: 'https:', hostname: 'api.openai.com', port: 443, host: 'api.openai.com', basePath: '', display: DEFAULT_BASE_URL }),
    apiKey: envKey?.ref ?? fileKey,
    apiKeySetting: envKey?.setting ?? 'upstream.apiKey',
    connectTimeoutMs: problems.int(env, 'UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, 1),
    firstByteTimeoutMs: problems.int(env, 'UPSTREAM_FIRST_BYTE_TIMEOUT_MS', 600_000, 1),
    idleTimeoutMs: problems.int(env, 'UPSTREAM_IDLE_TIMEOUT_MS', 600_000, 1),
    keepAliveTimeoutMs: problems.int(env, 'UPSTREAM_KEEPALIVE_TIMEOUT_MS', 4_000, 1),
  };
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

/** `NAME` or `NAME_FILE`, never both. */
function secretFromEnv(env: Env, name: string, problems: Problems): { ref: SecretRef; setting: string } | undefined {
  const value = env[name] || undefined;
  const path = env[`${name}_FILE`] || undefined;
  if (value && path) problems.add(name, `set ${name} or ${name}_FILE, not both`);
  if (value) return { ref: { kind: 'env', name }, setting: name };
  if (path) return { ref: { kind: 'file', path }, setting: `${name}_FILE` };
  return undefined;
}

export function parseSecretRef(raw: unknown, setting: string, allowSha256: boolean, problems: Problems): SecretRef | undefined {
  const kinds = allowSha256 ? ['value', 'env', 'file', 'sha256'] : ['value', 'env', 'file'];
  const shape = `must be exactly one of ${kinds.map((k) => `{ ${k}: ... }`).join(', ')}`;
  if (!isRecord(raw)) return problems.add(setting, shape);
  const given = Object.keys(raw);
  if (given.length !== 1 || !kinds.includes(given[0]!)) return problems.add(setting, shape);
  const kind = given[0] as SecretRef['kind'];
  const value = raw[kind];
  if (typeof value !== 'string' || value.trim() === '') return problems.add(`${setting}.${kind}`, 'must be a non-empty string');
  switch (kind) {
    case 'value':
      return { kind, value };
    case 'env':
      return { kind, name: value };
    case 'file':
      return { kind, path: value };
    case 'sha256':
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return problems.add(`${setting}.sha256`, 'must be 64 hex digits (a SHA-256 digest)');
      return { kind, digest: value.toLowerCase() };
  }
}

const CLIENT_NAME = /^[a-z0-9._-]{1,64}$/;

function parseClients(raw: unknown, problems: Problems): ClientConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return problems.add('clients', 'must be a list'), [];
  const clients: ClientConfig[] = [];
  const names = new Set<unknown>();
  raw.forEach((entry: unknown, i) => {
    const setting = `clients[${i}]`;
    if (!isRecord(entry)) return problems.add(setting, 'must be a mapping with name and key');
    rejectUnknownKeys(entry, ['name', 'key', 'upstreamKey', 'headers', 'limits'], setting, problems);
    const name = entry.name;
    if (typeof name !== 'string' || !CLIENT_NAME.test(name)) {
      problems.add(`${setting}.name`, 'must be 1-64 characters of a-z 0-9 . _ -');
    } else if (names.has(name)) {
      problems.add(`${setting}.name`, `"${name}" is used by more than one client`);
    }
    names.add(name);
    const key = parseSecretRef(entry.key, `${setting}.key`, true, problems);
    const upstreamKey = entry.upstreamKey === undefined ? undefined : parseSecretRef(entry.upstreamKey, `${setting}.upstreamKey`, false, problems);
    const headers = parseClientHeaders(entry.headers, `${setting}.headers`, problems);
    const limits = parseLimits(entry.limits, `${setting}.limits`, problems);
    if (typeof name === 'string' && key) clients.push({ name, setting, key, upstreamKey, headers, limits });
  });
  return clients;
}

function parseClientHeaders(raw: unknown, setting: string, problems: Problems): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) return problems.add(setting, 'must be a mapping of header name to value'), {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const problem = headerProblem(name, value);
    if (problem) problems.add(`${setting}.${name}`, problem);
    else headers[name.toLowerCase()] = value as string;
  }
  return headers;
}

const LIMIT_NAMES = ['requestsPerMinute', 'tokensPerMinute', 'concurrentStreams'] as const;

function parseLimits(raw: unknown, setting: string, problems: Problems): ClientLimits | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) return problems.add(setting, 'must be a mapping'), undefined;
  rejectUnknownKeys(raw, LIMIT_NAMES, setting, problems);
  const limits: ClientLimits = {};
  for (const name of LIMIT_NAMES) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) problems.add(`${setting}.${name}`, 'must be a whole number >= 1');
    else limits[name] = value;
  }
  return limits;
}

/** `PROXY_X_API_KEY` is the seed's single client; alongside a config file it adds a client named `default`. */
function envClient(env: Env, problems: Problems): ClientConfig[] {
  const key = secretFromEnv(env, 'PROXY_X_API_KEY', problems);
  return key ? [{ name: 'default', setting: key.setting, key: key.ref, headers: {} }] : [];
}

function checkClients(clients: ClientConfig[], auth: string, host: string, upstream: UpstreamConfig, problems: Problems): void {
  if (clients.filter((c) => c.name === 'default').length > 1) {
    problems.add('PROXY_X_API_KEY', 'adds a client named "default", and the config file has one too');
  }
  if (auth === 'none') {
    if (!isLoopback(host)) problems.add('PROXY_AUTH', 'none is only allowed when HOST is a loopback address (127.0.0.1, ::1, localhost)');
    if (clients.length > 0) problems.add('PROXY_AUTH', 'none cannot be combined with client keys (PROXY_X_API_KEY or clients:)');
  } else if (auth === 'key' && clients.length === 0) {
    problems.add('PROXY_X_API_KEY', 'required: set PROXY_X_API_KEY (or PROXY_X_API_KEY_FILE), or list clients in PROXY_CONFIG, or use PROXY_AUTH=none on a loopback HOST');
  }
  const needsDefault = auth === 'none' || clients.length === 0 || clients.some((c) => !c.upstreamKey);
  if (needsDefault && !upstream.apiKey) {
    problems.add('OPENAI_API_KEY', 'required: set OPENAI_API_KEY (or OPENAI_API_KEY_FILE), or upstream.apiKey in PROXY_CONFIG');
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function parseStringList(raw: unknown, setting: string, problems: Problems): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string' || v === '')) {
    return problems.add(setting, 'must be a list of non-empty strings'), undefined;
  }
  return raw as string[];
}

function parseEndpoints(raw: unknown, problems: Problems): string[] {
  const list = parseStringList(raw, 'endpoints', problems);
  if (list === undefined) return [...DEFAULT_ENDPOINTS];
  list.forEach((entry, i) => {
    if (normaliseTarget(entry)?.path !== entry || entry.includes('?')) {
      problems.add(`endpoints[${i}]`, 'must be a normalised path starting with / (no query, no dot segments, no //)');
    }
  });
  if (list.length === 0) problems.add('endpoints', 'must name at least one path (omit it for the default list)');
  return list;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
