import { readFileSync } from 'node:fs';
import { parseDocument, type YAMLError } from 'yaml';
import { LOG_LEVELS, type LogLevel } from '../observability/log';
import { AUTH_HEADERS, type AuthHeader } from '../proxy/headers';
import { DEFAULT_ENDPOINTS, normaliseTarget } from '../proxy/routes';
import { Problems, type Problem, isRecord, rejectUnknownKeys } from './checks';
import { checkClients, envClient, parseClients } from './clients';
import { parseUpstreamKey, upstreamKeyFromEnv, type WorkloadIdentity } from './identity';
import { parseKubernetes, type KubernetesConfig } from './kubernetes';

/**
 * A secret is given as exactly one of these; `sha256` only for client keys (the proxy never needs it back),
 * `workloadIdentity` only for upstream keys (obtained from the Pod's identity, see identity.ts).
 */
export type SecretRef =
  | { kind: 'value'; value: string }
  | { kind: 'env'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'sha256'; digest: string }
  | { kind: 'workloadIdentity'; identity: WorkloadIdentity };

export interface ClientLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  concurrentStreams?: number;
}

export interface ClientConfig {
  name: string;
  /** Where the setting came from, for error messages: `clients[2]` or `PROXY_X_API_KEY`. */
  setting: string;
  /** Absent for a client known only by its ServiceAccounts. */
  key?: SecretRef;
  /** `namespace/name` or `namespace/*`: callers whose ServiceAccount token names one of these are this client. */
  serviceAccounts?: readonly string[];
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
  /** The header the upstream key goes in. */
  authHeader: AuthHeader;
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
  /** Set when ServiceAccount tokens are accepted (some client lists `serviceAccounts`). */
  kubernetes?: KubernetesConfig;
  models: readonly string[];
  endpoints: readonly string[];
}

export type { Problem, WorkloadIdentity };
export { isLoopback } from './checks';
export type Env = Readonly<Record<string, string | undefined>>;
type ReadText = (path: string) => string;

const DEFAULT_BASE_URL = 'https://api.openai.com';

/** Parses the environment and the optional YAML file into one frozen Config, collecting every problem. */
/**
 * `config` is set only when there are no problems. `draft` is always the best reading of what was given, so the
 * caller can check the secrets it references too and report everything in one go.
 */
export function loadConfig(env: Env, readText: ReadText = (p) => readFileSync(p, 'utf8')): { config?: Config; draft: Config; problems: Problem[] } {
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
    kubernetes: parseKubernetes(file.kubernetes, clients.some((c) => c.serviceAccounts), problems),
    models: parseStringList(file.models, 'models', problems) ?? [],
    endpoints: parseEndpoints(file.endpoints, problems),
  };
  if (config.port !== 0 && config.port === config.adminPort && config.host === config.adminHost) {
    problems.add('ADMIN_PORT', 'must differ from PORT');
  }
  deepFreeze(config);
  return problems.list.length > 0 ? { draft: config, problems: problems.list } : { config, draft: config, problems: [] };
}

interface ConfigFile {
  upstream?: unknown;
  clients?: unknown;
  kubernetes?: unknown;
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
  const parsed = parseDocument(text);
  const [error] = parsed.errors;
  if (error) {
    problems.add('PROXY_CONFIG', describeYamlError(path, error));
    return {};
  }
  const doc: unknown = parsed.toJS();
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) {
    problems.add('PROXY_CONFIG', `${path} must hold a mapping (upstream, clients, kubernetes, models, endpoints)`);
    return {};
  }
  rejectUnknownKeys(doc, ['upstream', 'clients', 'kubernetes', 'models', 'endpoints'], '', problems);
  return doc;
}

/**
 * `<file>, line 3, column 7: <what is wrong>`. The yaml library's message ends with an excerpt of the file,
 * which may hold a key, so only its first clause and the position are kept.
 */
function describeYamlError(path: string, error: YAMLError): string {
  const problem = error.message.split(/ at line \d+, column \d+/, 1)[0]!.split('\n', 1)[0];
  const at = error.linePos?.[0];
  return `${path}${at ? `, line ${at.line}, column ${at.col}` : ''}: not valid YAML: ${problem}`;
}

function parseUpstream(env: Env, raw: unknown, problems: Problems): UpstreamConfig {
  const section = isRecord(raw) ? raw : {};
  if (raw !== undefined && !isRecord(raw)) problems.add('upstream', 'must be a mapping');
  rejectUnknownKeys(section, ['baseUrl', 'apiKey', 'authHeader'], 'upstream', problems);
  const fromEnv = env.OPENAI_BASE_URL ? 'OPENAI_BASE_URL' : undefined;
  const baseSetting = fromEnv ?? 'upstream.baseUrl';
  const rawBase = fromEnv ? env.OPENAI_BASE_URL : section.baseUrl ?? DEFAULT_BASE_URL;
  const base = typeof rawBase === 'string' ? parseBaseUrl(rawBase, baseSetting, problems) : undefined;
  if (typeof rawBase !== 'string') problems.add(baseSetting, 'must be a URL string');

  const fileKey = section.apiKey === undefined ? undefined : parseUpstreamKey(section.apiKey, 'upstream.apiKey', problems);
  const envKey = upstreamKeyFromEnv(env, fileKey, problems);
  return {
    ...(base ?? { protocol: 'https:', hostname: 'api.openai.com', port: 443, host: 'api.openai.com', basePath: '', display: DEFAULT_BASE_URL }),
    apiKey: envKey?.ref ?? fileKey,
    apiKeySetting: envKey?.setting ?? 'upstream.apiKey',
    authHeader: parseAuthHeader(env, section.authHeader, problems),
    connectTimeoutMs: problems.int(env, 'UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, 1),
    firstByteTimeoutMs: problems.int(env, 'UPSTREAM_FIRST_BYTE_TIMEOUT_MS', 600_000, 1),
    idleTimeoutMs: problems.int(env, 'UPSTREAM_IDLE_TIMEOUT_MS', 600_000, 1),
    keepAliveTimeoutMs: problems.int(env, 'UPSTREAM_KEEPALIVE_TIMEOUT_MS', 4_000, 1),
  };
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
