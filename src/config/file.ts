import type { YAMLError } from 'yaml';
import { type Problems, isRecord, rejectUnknownKeys } from './checks';
import type { Env, Origins } from './types';

/** The YAML config file (`PROXY_CONFIG`) as read, before its sections are checked. */
export interface ConfigFile {
  upstream?: unknown;
  clients?: unknown;
  kubernetes?: unknown;
  models?: unknown;
  endpoints?: unknown;
  usage?: unknown;
  limits?: unknown;
}

export type ReadText = (path: string) => string;

export function readConfigFile(path: string, readText: ReadText, problems: Problems): ConfigFile {
  let text: string;
  try {
    text = readText(path);
  } catch (err) {
    problems.add('PROXY_CONFIG', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return {};
  }
  // Loaded here, not at start: most sidecars have no config file, and the parser is a fair part of start-up.
  const { parseDocument } = require('yaml') as typeof import('yaml');
  const parsed = parseDocument(text);
  const [error] = parsed.errors;
  if (error) {
    problems.add('PROXY_CONFIG', describeYamlError(path, error));
    return {};
  }
  const doc: unknown = parsed.toJS();
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) {
    problems.add('PROXY_CONFIG', `${path} must hold a mapping (upstream, clients, kubernetes, models, endpoints, usage, limits)`);
    return {};
  }
  rejectUnknownKeys(doc, ['upstream', 'clients', 'kubernetes', 'models', 'endpoints', 'usage', 'limits'], '', problems);
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

/** The workload identity variables that replace fields of `upstream.apiKey` (AKS sets AZURE_* everywhere: only with azure). */
const UPSTREAM_IDENTITY_ENV = ['OPENAI_IDENTITY_PROVIDER_ID', 'OPENAI_SERVICE_ACCOUNT_ID', 'OPENAI_IDENTITY_TOKEN_FILE', 'OPENAI_IDENTITY_TOKEN_URL'];
const AZURE_IDENTITY_ENV = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_AUTHORITY_HOST'];

/** Where the upstream came from, and which settings of the file an environment variable replaced. */
export function originsOf(env: Env, path: string | undefined, file: ConfigFile): Origins {
  const upstream = isRecord(file.upstream) ? file.upstream : {};
  const byEnv = (...names: string[]) => names.find((name) => env[name]);
  const pairs: Array<[string, unknown, string | undefined]> = [
    ['upstream.baseUrl', upstream.baseUrl, byEnv('OPENAI_BASE_URL')],
    [
      'upstream.apiKey',
      upstream.apiKey,
      byEnv('OPENAI_API_KEY', 'OPENAI_API_KEY_FILE', ...UPSTREAM_IDENTITY_ENV, ...(env.OPENAI_AUTH_PROVIDER === 'azure' ? AZURE_IDENTITY_ENV : [])),
    ],
    ['upstream.authHeader', upstream.authHeader, byEnv('OPENAI_AUTH_HEADER')],
    ['models', file.models, byEnv('PROXY_MODELS')],
  ];
  return {
    configFile: path,
    upstream: byEnv('OPENAI_BASE_URL') ?? (upstream.baseUrl !== undefined ? 'upstream.baseUrl' : 'default'),
    overridden: Object.fromEntries(pairs.filter(([, inFile, by]) => inFile !== undefined && by).map(([setting, , by]) => [setting, by!])),
  };
}
