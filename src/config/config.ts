import { readFileSync } from 'node:fs';
import { LOG_LEVELS, type LogLevel } from '../observability/log';
import { DEFAULT_ENDPOINTS, normaliseTarget } from '../http/routes';
import { Problems } from './checks';
import type { Config, Env, Origins, Problem } from './types';
import { checkClients, envClient, parseClients } from './clients';
import { originsOf, readConfigFile, type ReadText } from './file';
import { parseKubernetes } from './kubernetes';
import { checkFallbackKeys, parseFallbacks } from './fallbacks';
import { checkUsdLimitsHavePrices, parseLimitsConfig } from './limits';
import { parseUpstream } from './upstream';
import { parseStreamUsage } from './usage';

/**
 * Parses the environment and the optional YAML file into one frozen Config, collecting every problem.
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

  const streamUsage = parseStreamUsage(env, file.usage, problems);
  const upstream = parseUpstream(env, file.upstream, streamUsage, problems);
  const chain = parseFallbacks(env, file.upstream, upstream, streamUsage, problems);
  const clients = [...parseClients(file.clients, problems), ...envClient(env, problems)];
  checkClients(clients, auth, host, upstream, problems);
  checkFallbackKeys(clients, chain.fallbacks, auth, problems);
  const limits = parseLimitsConfig(file.limits, env, problems);
  checkUsdLimitsHavePrices(clients, limits, problems);

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
    ...chain,
    clients,
    limits,
    kubernetes: parseKubernetes(
      file.kubernetes,
      clients.some((c) => c.serviceAccounts),
      problems,
    ),
    models: parseModels(env, file.models, problems),
    endpoints: parseEndpoints(env, file.endpoints, problems),
    origins: withOverridden(originsOf(env, get('PROXY_CONFIG'), file), limits.overridden),
  };
  if (config.port !== 0 && config.port === config.adminPort && config.host === config.adminHost) {
    problems.add('ADMIN_PORT', 'must differ from PORT');
  }
  deepFreeze(config);
  return problems.list.length > 0 ? { draft: config, problems: problems.list } : { config, draft: config, problems: [] };
}

function parseStringList(raw: unknown, setting: string, problems: Problems): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string' || v === '')) {
    problems.add(setting, 'must be a list of non-empty strings');
    return undefined;
  }
  return raw as string[];
}

/** `PROXY_MODELS` (comma-separated) replaces `models:`, as every environment value replaces its file setting. */
function parseModels(env: Env, fromFile: unknown, problems: Problems): string[] {
  if (env.PROXY_MODELS) return commaList(env.PROXY_MODELS);
  return parseStringList(fromFile, 'models', problems) ?? [];
}

/** `PROXY_ENDPOINTS` (comma-separated) replaces `endpoints:` whole, with the same rules for each entry. */
function parseEndpoints(env: Env, fromFile: unknown, problems: Problems): string[] {
  const fromEnv = env.PROXY_ENDPOINTS ? commaList(env.PROXY_ENDPOINTS) : undefined;
  const setting = fromEnv ? 'PROXY_ENDPOINTS' : 'endpoints';
  const list = fromEnv ?? parseStringList(fromFile, 'endpoints', problems);
  if (list === undefined) return [...DEFAULT_ENDPOINTS];
  list.forEach((entry, i) => {
    if (normaliseTarget(entry)?.path !== entry || entry.includes('?')) {
      problems.add(`${setting}[${i}]`, 'must be a normalised path starting with / (no query, no dot segments, no //)');
    }
  });
  if (list.length === 0) problems.add(setting, 'must name at least one path (omit it for the default list)');
  return list;
}

const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

function withOverridden(origins: Origins, more: Readonly<Record<string, string>>): Origins {
  return Object.keys(more).length === 0 ? origins : { ...origins, overridden: { ...origins.overridden, ...more } };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
