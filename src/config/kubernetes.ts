import { join } from 'node:path';
import type { JwksSource, KubernetesConfig } from './types';
import { type Problems, isRecord, rejectUnknownKeys } from './checks';

/**
 * The `kubernetes:` section (how ServiceAccount tokens are verified) and `clients[].serviceAccounts` (which
 * ServiceAccounts each client is). Kept free of the verification code: this is only what was configured.
 */

type UrlSource = Extract<JwksSource, { kind: 'url' }>;

/** kubeadm's, kind's and most distributions' default `--service-account-issuer`. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const DEFAULT_AUDIENCE = 'openai-proxy';
/**
 * Two days. The kubelet renews a projected token at 80% of its lifetime, so callers never need a long one; a
 * token copied out of a Pod is good for no longer than this.
 */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 172_800;
/** The API server's own JWKS endpoint, as every Pod reaches it. */
export const IN_CLUSTER_JWKS_URL = 'https://kubernetes.default.svc/openid/v1/jwks';
/** Where the kubelet puts a Pod's own API token and the cluster CA. */
export const POD_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The section with its defaults filled in; undefined when ServiceAccount tokens are not in use (no section
 * and no client lists `serviceAccounts`). The Pod's own token and CA are the defaults for the in-cluster
 * URL only: another URL gets neither unless named, so the Pod's token never goes anywhere else.
 */
export function parseKubernetes(raw: unknown, anyServiceAccounts: boolean, problems: Problems): KubernetesConfig | undefined {
  if (raw === undefined || raw === null)
    return anyServiceAccounts
      ? { issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, jwks: inCluster(), maxTokenLifetimeSeconds: DEFAULT_MAX_TOKEN_LIFETIME_SECONDS }
      : undefined;
  if (!isRecord(raw)) return problems.add('kubernetes', 'must be a mapping (issuer, audience, jwks, maxTokenLifetimeSeconds)');
  rejectUnknownKeys(raw, ['issuer', 'audience', 'jwks', 'maxTokenLifetimeSeconds'], 'kubernetes', problems);
  if (!anyServiceAccounts) problems.add('kubernetes', 'is set, but no client lists serviceAccounts: add them, or remove the section');
  return {
    issuer: nonEmpty(raw.issuer, 'kubernetes.issuer', DEFAULT_ISSUER, problems),
    audience: nonEmpty(raw.audience, 'kubernetes.audience', DEFAULT_AUDIENCE, problems),
    jwks: parseJwksSource(raw.jwks, problems),
    maxTokenLifetimeSeconds: wholeSeconds(raw.maxTokenLifetimeSeconds, 'kubernetes.maxTokenLifetimeSeconds', DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, problems),
  };
}

function wholeSeconds(value: unknown, setting: string, fallback: number, problems: Problems): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    return problems.add(setting, `must be a whole number of seconds from 1 up, not ${JSON.stringify(value)}`) ?? fallback;
  return value;
}

function inCluster(): UrlSource {
  return { kind: 'url', url: IN_CLUSTER_JWKS_URL, bearerTokenFile: join(POD_SERVICE_ACCOUNT_DIR, 'token'), caFile: join(POD_SERVICE_ACCOUNT_DIR, 'ca.crt') };
}

function nonEmpty(value: unknown, setting: string, fallback: string, problems: Problems): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '') return problems.add(setting, 'must be a non-empty string') ?? fallback;
  return value;
}

function parseJwksSource(raw: unknown, problems: Problems): JwksSource {
  if (raw === undefined || raw === null) return inCluster();
  const shape = 'must be { url: https://..., bearerTokenFile?, caFile? } or { file: /path/jwks.json }';
  if (!isRecord(raw)) return problems.add('kubernetes.jwks', shape) ?? inCluster();
  if (raw.file !== undefined) {
    rejectUnknownKeys(raw, ['file'], 'kubernetes.jwks', problems);
    return { kind: 'file', path: nonEmpty(raw.file, 'kubernetes.jwks.file', '', problems) };
  }
  rejectUnknownKeys(raw, ['url', 'bearerTokenFile', 'caFile'], 'kubernetes.jwks', problems);
  const url = nonEmpty(raw.url, 'kubernetes.jwks.url', IN_CLUSTER_JWKS_URL, problems);
  if (!/^https:\/\/[^/?#]+/i.test(url))
    problems.add('kubernetes.jwks.url', 'must be an https:// URL: the keys that decide who may call are never fetched unverified');
  const defaults: UrlSource = url === IN_CLUSTER_JWKS_URL ? inCluster() : { kind: 'url', url };
  const bearerTokenFile =
    raw.bearerTokenFile === undefined ? defaults.bearerTokenFile : nonEmpty(raw.bearerTokenFile, 'kubernetes.jwks.bearerTokenFile', '', problems);
  const caFile = raw.caFile === undefined ? defaults.caFile : nonEmpty(raw.caFile, 'kubernetes.jwks.caFile', '', problems);
  return { kind: 'url', url, bearerTokenFile, caFile };
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SERVICE_ACCOUNT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `namespace/name` or `namespace/*`, as Kubernetes spells names (a DNS label, a DNS subdomain). */
export function parseServiceAccounts(raw: unknown, setting: string, problems: Problems): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) return problems.add(setting, 'must be a non-empty list of namespace/name or namespace/*');
  const entries: string[] = [];
  for (const [i, entry] of raw.entries()) {
    const [namespace, name, extra] = typeof entry === 'string' ? entry.split('/') : [];
    const ok =
      extra === undefined &&
      namespace !== undefined &&
      name !== undefined &&
      NAMESPACE.test(namespace) &&
      namespace.length <= 63 &&
      (name === '*' || (SERVICE_ACCOUNT.test(name) && name.length <= 253));
    if (!ok) {
      problems.add(`${setting}[${i}]`, 'must be namespace/name or namespace/* (lower-case Kubernetes names; the namespace is never a wildcard)');
      continue;
    }
    if (entries.includes(entry as string)) {
      problems.add(`${setting}[${i}]`, `"${entry}" is listed twice`);
      continue;
    }
    entries.push(entry as string);
  }
  return entries;
}

/** No ServiceAccount may be two clients: the same entry in two clients is an error (a specific name beats a namespace's `*`). */
export function checkServiceAccountOwners(
  clients: readonly { name: string; setting: string; serviceAccounts?: readonly string[] }[],
  problems: Problems,
): void {
  const owner = new Map<string, string>();
  for (const client of clients) {
    client.serviceAccounts?.forEach((entry, i) => {
      const other = owner.get(entry);
      if (other !== undefined) problems.add(`${client.setting}.serviceAccounts[${i}]`, `"${entry}" is also client "${other}"'s`);
      else owner.set(entry, client.name);
    });
  }
}
