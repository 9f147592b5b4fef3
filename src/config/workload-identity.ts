import type { Env, SecretRef, WorkloadIdentity } from './types';
import { type Problems, isRecord, parseSecretRef, rejectUnknownKeys, secretFromEnv } from './checks';

/**
 * The `workloadIdentity` secret reference: an upstream key that is not stored anywhere but obtained from the
 * Pod's projected ServiceAccount token, in the config file or in the environment (the names LiteLLM and AKS's
 * workload identity webhook use).
 */

/** The `credential` label of `upstream.apiKey`'s workload identity; a client's own is labelled with its name. */
export const UPSTREAM_CREDENTIAL = 'upstream';

export const OPENAI_TOKEN_URL = 'https://auth.openai.com/oauth/token';
export const AZURE_AUTHORITY_HOST = 'https://login.microsoftonline.com';
export const AZURE_SCOPE = 'https://cognitiveservices.azure.com/.default';

type Provider = WorkloadIdentity['provider'];

/** Each provider's fields, whether they are required, and the variable of the env form that sets them. */
const FIELDS: Record<Provider, Record<string, { env?: string; required: boolean }>> = {
  openai: {
    identityProviderId: { env: 'OPENAI_IDENTITY_PROVIDER_ID', required: true },
    serviceAccountId: { env: 'OPENAI_SERVICE_ACCOUNT_ID', required: true },
    tokenFile: { env: 'OPENAI_IDENTITY_TOKEN_FILE', required: true },
    tokenUrl: { env: 'OPENAI_IDENTITY_TOKEN_URL', required: false },
  },
  azure: {
    clientId: { env: 'AZURE_CLIENT_ID', required: true },
    tenantId: { env: 'AZURE_TENANT_ID', required: true },
    tokenFile: { env: 'AZURE_FEDERATED_TOKEN_FILE', required: true },
    authorityHost: { env: 'AZURE_AUTHORITY_HOST', required: false },
    scope: { required: false },
  },
};

/** Settings that give the upstream key: a problem with one of them already says the key is missing. */
export function isUpstreamKeySetting(setting: string): boolean {
  if (setting.startsWith('upstream.apiKey') || setting === 'OPENAI_API_KEY' || setting === 'OPENAI_API_KEY_FILE' || setting === 'OPENAI_AUTH_PROVIDER')
    return true;
  return Object.values(FIELDS).some((fields) => Object.values(fields).some((f) => f.env === setting));
}

const UPSTREAM_KEY_SHAPE = 'must be exactly one of { value: ... }, { env: ... }, { file: ... }, { workloadIdentity: ... }';

/** `upstream.apiKey` or a client's `upstreamKey`: a static secret reference, or workload identity. */
export function parseUpstreamKey(raw: unknown, setting: string, problems: Problems): SecretRef | undefined {
  const given = isRecord(raw) ? Object.keys(raw) : [];
  if (given.length === 1 && given[0] === 'workloadIdentity')
    return parseWorkloadIdentity((raw as Record<string, unknown>).workloadIdentity, `${setting}.workloadIdentity`, problems);
  if (given.length !== 1 || !['value', 'env', 'file'].includes(given[0]!)) return problems.add(setting, UPSTREAM_KEY_SHAPE);
  return parseSecretRef(raw, setting, false, problems);
}

function parseWorkloadIdentity(raw: unknown, setting: string, problems: Problems): SecretRef | undefined {
  if (!isRecord(raw)) return problems.add(setting, 'must be a mapping with provider (openai or azure) and its fields');
  const provider = raw.provider ?? 'openai';
  if (provider !== 'openai' && provider !== 'azure') return problems.add(`${setting}.provider`, 'must be "openai" or "azure"');
  rejectUnknownKeys(raw, ['provider', ...Object.keys(FIELDS[provider])], setting, problems);
  const fields: Fields = new Map(
    Object.keys(FIELDS[provider])
      .filter((f) => raw[f] !== undefined)
      .map((f) => [f, { value: raw[f], setting: `${setting}.${f}` }]),
  );
  return checkIdentity(provider, fields, (field) => `${setting}.${field}`, problems);
}

/**
 * The upstream key from the environment: `OPENAI_API_KEY(_FILE)`, or the workload identity env form. An env
 * value replaces the same field of the config file's `upstream.apiKey.workloadIdentity`; what is still missing
 * after that is a problem named by its variable.
 */
export function upstreamKeyFromEnv(env: Env, fileKey: SecretRef | undefined, problems: Problems): { ref: SecretRef; setting: string } | undefined {
  const staticKey = secretFromEnv(env, 'OPENAI_API_KEY', problems);
  const chosen = env.OPENAI_AUTH_PROVIDER || undefined;
  if (chosen !== undefined && chosen !== 'openai' && chosen !== 'azure') {
    problems.add('OPENAI_AUTH_PROVIDER', 'must be "openai" or "azure"');
    return staticKey;
  }
  const provider: Provider = chosen ?? 'openai';
  if (provider === 'azure') ignoredUnderAzure(env, problems);
  const spec = FIELDS[provider];
  const fromEnv = Object.keys(spec).filter((f) => spec[f]!.env && env[spec[f]!.env!]);
  if (fromEnv.length === 0 && provider !== 'azure') return staticKey;
  if (staticKey) {
    problems.add(staticKey.setting, `set either ${staticKey.setting} or the workload identity variables (${envNames(provider)}), not both`);
    return staticKey;
  }
  const fields: Fields = new Map();
  const fileIdentity = fileKey?.kind === 'workloadIdentity' ? fileKey.identity : undefined;
  if (fileIdentity?.provider === provider) {
    for (const f of Object.keys(spec)) {
      const value = (fileIdentity as unknown as Record<string, unknown>)[f];
      if (value !== undefined) fields.set(f, { value, setting: `upstream.apiKey.workloadIdentity.${f}` });
    }
  }
  for (const f of fromEnv) fields.set(f, { value: env[spec[f]!.env!], setting: spec[f]!.env! });
  const ref = checkIdentity(
    provider,
    fields,
    (field) => spec[field]!.env ?? `upstream.apiKey.workloadIdentity.${field}`,
    problems,
    `the workload identity env form needs ${envNames(provider)}`,
  );
  return ref && { ref, setting: fields.get('tokenFile')!.setting };
}

/** AKS sets the AZURE_* variables in every container of a labelled Pod: they count only with provider azure. */
function ignoredUnderAzure(env: Env, problems: Problems): void {
  for (const { env: name } of Object.values(FIELDS.openai)) {
    if (name && env[name]) problems.add(name, 'is for OPENAI_AUTH_PROVIDER=openai; with azure, set the AZURE_* variables');
  }
}

function envNames(provider: Provider): string {
  const required = Object.values(FIELDS[provider])
    .filter((f) => f.required)
    .map((f) => f.env!);
  return `${required.join(', ')}${provider === 'azure' ? ' with OPENAI_AUTH_PROVIDER=azure' : ''}`;
}

type Fields = Map<string, { value: unknown; setting: string }>;

/** Validates the fields of one provider (whatever their source) into the reference, or adds the problems. */
function checkIdentity(
  provider: Provider,
  fields: Fields,
  missingSetting: (field: string) => string,
  problems: Problems,
  hint?: string,
): SecretRef | undefined {
  const before = problems.list.length;
  const values: Record<string, string> = {};
  for (const [field, { required }] of Object.entries(FIELDS[provider])) {
    const given = fields.get(field);
    if (given === undefined) {
      if (required) problems.add(missingSetting(field), `required for workload identity (provider ${provider})${hint ? `: ${hint}` : ''}`);
      continue;
    }
    const problem = fieldProblem(field, given.value);
    if (problem) problems.add(given.setting, problem);
    else values[field] = (given.value as string).trim();
  }
  if (problems.list.length > before) return undefined;
  const tokenFileSetting = fields.get('tokenFile')!.setting;
  const identity: WorkloadIdentity =
    provider === 'openai'
      ? {
          provider,
          tokenFileSetting,
          tokenFile: values.tokenFile!,
          identityProviderId: values.identityProviderId!,
          serviceAccountId: values.serviceAccountId!,
          tokenUrl: values.tokenUrl ?? OPENAI_TOKEN_URL,
        }
      : {
          provider,
          tokenFileSetting,
          tokenFile: values.tokenFile!,
          tenantId: values.tenantId!,
          clientId: values.clientId!,
          scope: values.scope ?? AZURE_SCOPE,
          authorityHost: (values.authorityHost ?? AZURE_AUTHORITY_HOST).replace(/\/+$/, ''),
        };
  return { kind: 'workloadIdentity', identity };
}

/** Ids go into a JSON body, a form or (the tenant) a URL path: plain printable text only. */
const ID = /^[\x21-\x7e]{1,256}$/;
const TENANT = /^[A-Za-z0-9.-]{1,256}$/;

function fieldProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must be a non-empty string';
  const text = value.trim();
  if (field === 'tokenUrl' || field === 'authorityHost') return httpsProblem(text);
  if (field === 'tenantId') return TENANT.test(text) ? undefined : 'must be a tenant id or domain (letters, digits, . and -)';
  if (field === 'tokenFile' || field === 'scope') return /[\0\r\n]/.test(text) ? 'must not contain line breaks' : undefined;
  return ID.test(text) ? undefined : 'must be printable text without spaces';
}

/** The exchange sends the Pod's identity token: only over HTTPS, to a host that proves who it is. */
function httpsProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute https:// URL';
  }
  if (url.protocol !== 'https:') return 'must use https:// (the Pod identity token is sent there)';
  if (url.username || url.password || url.hash) return 'must not contain credentials or a fragment';
  return undefined;
}
