import type { Env, Problem, SecretRef } from './types';
/** The small building blocks of config validation: a problem list and shape checks. */

export class Problems {
  readonly list: Problem[] = [];

  /** Whether a problem about a setting matching `pattern` was already reported. */
  has(pattern: RegExp): boolean {
    return this.list.some((p) => pattern.test(p.setting));
  }

  /** Returns undefined so a parser can `return problems.add(...)`. */
  add(setting: string, message: string): undefined {
    this.list.push({ setting, message });
    return undefined;
  }

  /** A whole number from the environment, within bounds; the default when unset or empty. */
  int(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    // Digits only: ' 80' is more likely a quoting slip than a port, and other tools would read it differently.
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.add(name, `must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, not ${JSON.stringify(raw.slice(0, 40))}`);
      return fallback;
    }
    return value;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const UNKNOWN_SETTING = 'unknown setting';

/** Typos in a config file are errors, not silently ignored settings. */
export function rejectUnknownKeys(record: Record<string, unknown>, known: readonly string[], at: string, problems: Problems): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) problems.add(at ? `${at}.${key}` : key, `${UNKNOWN_SETTING} (expected one of ${known.join(', ')})`);
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the proxy owns: a client's configured headers may not set them. */
const RESERVED = /^(?:authorization|api-key|host|x-api-key|content-length|connection|keep-alive|proxy-.*|te|trailer|transfer-encoding|upgrade|expect)$/i;

export function headerProblem(name: string, value: unknown): string | undefined {
  if (!TOKEN.test(name)) return 'is not a valid header name';
  if (RESERVED.test(name)) return 'is set by the proxy itself and cannot be configured';
  if (typeof value !== 'string' || /[\r\n\0]/.test(value)) return 'must be a string without line breaks';
  return undefined;
}

/** `NAME` or `NAME_FILE`, never both. */
export function secretFromEnv(env: Env, name: string, problems: Problems): { ref: SecretRef; setting: string } | undefined {
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
  const kind = given[0] as Exclude<SecretRef['kind'], 'workloadIdentity'>;
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

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
