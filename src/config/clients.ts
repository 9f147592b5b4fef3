import type { ClientConfig, Env, SecretRef, UpstreamConfig } from './types';
import { type Problems, headerProblem, isLoopback, isRecord, parseSecretRef, rejectUnknownKeys, secretFromEnv } from './checks';
import { UPSTREAM_CREDENTIAL, isUpstreamKeySetting, parseUpstreamKey } from './workload-identity';
import { checkServiceAccountOwners, parseServiceAccounts } from './kubernetes';
import { parseAllowedModels, parseClientLimits } from './limits';

/** The `clients:` list of the config file, the env-defined `default` client, and the checks across them. */

const CLIENT_NAME = /^[a-z0-9._-]{1,64}$/;

/** The client `PROXY_X_API_KEY` defines, and the one every caller is with `PROXY_AUTH=none`: one name for both. */
export const DEFAULT_CLIENT = 'default';

export function parseClients(raw: unknown, problems: Problems): ClientConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.add('clients', 'must be a list');
    return [];
  }
  const clients: ClientConfig[] = [];
  const names = new Set<unknown>();
  for (const [i, entry] of raw.entries()) {
    const setting = `clients[${i}]`;
    if (!isRecord(entry)) {
      problems.add(setting, 'must be a mapping with name and key (or serviceAccounts)');
      continue;
    }
    rejectUnknownKeys(entry, ['name', 'key', 'serviceAccounts', 'upstreamKey', 'fallbackKeys', 'headers', 'limits', 'allowedModels'], setting, problems);
    const name = entry.name;
    if (typeof name !== 'string' || !CLIENT_NAME.test(name)) {
      problems.add(`${setting}.name`, 'must be 1-64 characters of a-z 0-9 . _ -');
    } else if (names.has(name)) {
      problems.add(`${setting}.name`, `"${name}" is used by more than one client`);
    }
    names.add(name);
    const serviceAccounts = parseServiceAccounts(entry.serviceAccounts, `${setting}.serviceAccounts`, problems);
    // A client known by its ServiceAccounts needs no key; one with neither could never be authenticated.
    const key =
      entry.key !== undefined
        ? parseSecretRef(entry.key, `${setting}.key`, true, problems)
        : entry.serviceAccounts === undefined
          ? problems.add(`${setting}.key`, 'required, unless the client lists serviceAccounts')
          : undefined;
    const upstreamKey = entry.upstreamKey === undefined ? undefined : parseUpstreamKey(entry.upstreamKey, `${setting}.upstreamKey`, problems);
    if (name === UPSTREAM_CREDENTIAL && upstreamKey?.kind === 'workloadIdentity') {
      problems.add(
        `${setting}.name`,
        `"${UPSTREAM_CREDENTIAL}" labels the default upstream credential in the credential metrics: a client with its own workload identity needs another name`,
      );
    }
    const headers = parseClientHeaders(entry.headers, `${setting}.headers`, problems);
    const limits = parseClientLimits(entry.limits, `${setting}.limits`, problems);
    const allowedModels = parseAllowedModels(entry.allowedModels, `${setting}.allowedModels`, problems);
    const fallbackKeys = parseFallbackKeys(entry.fallbackKeys, `${setting}.fallbackKeys`, problems);
    if (typeof name === 'string' && (key || serviceAccounts))
      clients.push({ name, setting, key, serviceAccounts, upstreamKey, fallbackKeys, headers, limits, allowedModels });
  }
  checkServiceAccountOwners(clients, problems);
  return clients;
}

/** `fallbackKeys: { <upstream name>: <secret reference> }`; the names are checked against the fallbacks later. */
function parseFallbackKeys(raw: unknown, setting: string, problems: Problems): Record<string, SecretRef> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) {
    problems.add(setting, 'must map fallback upstream names to secret references');
    return undefined;
  }
  const keys: Record<string, SecretRef> = {};
  for (const [name, ref] of Object.entries(raw)) {
    const parsed = parseUpstreamKey(ref, `${setting}.${name}`, problems);
    if (parsed) keys[name] = parsed;
  }
  return keys;
}

function parseClientHeaders(raw: unknown, setting: string, problems: Problems): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) {
    problems.add(setting, 'must be a mapping of header name to value');
    return {};
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const problem = headerProblem(name, value);
    if (problem) problems.add(`${setting}.${name}`, problem);
    else headers[name.toLowerCase()] = value as string;
  }
  return headers;
}

/** `PROXY_X_API_KEY` is the single-tenant client; alongside a config file it adds a client named `default`. */
export function envClient(env: Env, problems: Problems): ClientConfig[] {
  const key = secretFromEnv(env, 'PROXY_X_API_KEY', problems);
  return key ? [{ name: DEFAULT_CLIENT, setting: key.setting, key: key.ref, headers: {} }] : [];
}

/**
 * A "required" would be wrong where the setting was given but could not be read: the config file did not
 * parse, or the clients or the upstream key it names are invalid. Their own problem is reported instead.
 */
const CLIENTS_GIVEN = /^(?:PROXY_CONFIG|clients)/;
const UPSTREAM_KEY_GIVEN = /^(?:PROXY_CONFIG|upstream$|clients\[\d+\]\.upstreamKey)/;

export function checkClients(clients: ClientConfig[], auth: string, host: string, upstream: UpstreamConfig, problems: Problems): void {
  if (clients.filter((c) => c.name === DEFAULT_CLIENT).length > 1) {
    problems.add('PROXY_X_API_KEY', 'adds a client named "default", and the config file has one too');
  }
  if (auth === 'none') {
    if (!isLoopback(host)) problems.add('PROXY_AUTH', 'none is only allowed when HOST is a loopback address (127.0.0.1, ::1, localhost)');
    if (clients.length > 0) problems.add('PROXY_AUTH', 'none cannot be combined with client keys (PROXY_X_API_KEY or clients:)');
  } else if (auth === 'key' && clients.length === 0 && !problems.has(CLIENTS_GIVEN)) {
    problems.add(
      'PROXY_X_API_KEY',
      'required: set PROXY_X_API_KEY (or PROXY_X_API_KEY_FILE), or list clients in PROXY_CONFIG, or use PROXY_AUTH=none on a loopback HOST',
    );
  }
  const needsDefault = auth === 'none' || clients.length === 0 || clients.some((c) => !c.upstreamKey);
  if (needsDefault && !upstream.apiKey && !problems.list.some((p) => isUpstreamKeySetting(p.setting)) && !problems.has(UPSTREAM_KEY_GIVEN)) {
    problems.add(
      'OPENAI_API_KEY',
      'required: set OPENAI_API_KEY (or OPENAI_API_KEY_FILE), or upstream.apiKey in PROXY_CONFIG, or workload identity (OPENAI_IDENTITY_PROVIDER_ID, OPENAI_SERVICE_ACCOUNT_ID, OPENAI_IDENTITY_TOKEN_FILE)',
    );
  }
}
