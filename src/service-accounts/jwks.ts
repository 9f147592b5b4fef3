import { importJwk, type VerificationKey } from './signatures';

/** The signing keys of the cluster's ServiceAccount issuer, by `kid`. */
export type KeySet = ReadonlyMap<string, VerificationKey>;

export interface ParsedJwks {
  keys: Map<string, VerificationKey>;
  /** Entries left out, with why (a key of another type, a duplicate kid): for the log, never fatal alone. */
  skipped: string[];
}

/** Far above a real JWKS (a few keys, about 1 KiB each). */
export const MAX_JWKS_BYTES = 1024 * 1024;

/** A JWKS document (RFC 7517) as a key set; a document with no usable key is an error, like one that does not parse. */
export function parseJwks(text: string): ParsedJwks | { error: string } {
  if (Buffer.byteLength(text) > MAX_JWKS_BYTES) return { error: `larger than ${MAX_JWKS_BYTES} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { error: 'is not JSON' };
  }
  const entries = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(entries)) return { error: 'has no "keys" list' };
  const keys = new Map<string, VerificationKey>();
  const skipped: string[] = [];
  const duplicates = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      skipped.push(`keys[${i}] is not an object`);
      continue;
    }
    const imported = importJwk(entry as Record<string, unknown>);
    if ('problem' in imported) {
      skipped.push(`keys[${i}] ${imported.problem}`);
      continue;
    }
    // Two keys under one kid: which one signed a token would be a guess, so neither is used.
    if (keys.has(imported.kid) || duplicates.has(imported.kid)) {
      duplicates.add(imported.kid);
      keys.delete(imported.kid);
      skipped.push(`keys[${i}] repeats kid ${imported.kid}`);
      continue;
    }
    keys.set(imported.kid, imported);
  }
  if (keys.size === 0) return { error: `holds no usable RS256 or ES256 key${skipped.length ? ` (${skipped.join('; ')})` : ''}` };
  return { keys, skipped };
}
