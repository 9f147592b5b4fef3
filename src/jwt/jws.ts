/**
 * Compact JWS (RFC 7515) parsing: the part of a JWT that both sides of the proxy read. Verifying a signature is
 * the ServiceAccount side's job (service-accounts/signatures.ts); parsing alone proves nothing.
 */

export interface CompactJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `<header>.<payload>` exactly as sent: what the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** Far above any ServiceAccount token (about 1 KiB); decoding bigger input is work for nothing. */
export const MAX_TOKEN_LENGTH = 16 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Three dot-separated parts, the first a base64url JSON object. Runs on every request that carries no key
 * of this proxy's, cached tokens included, so it only looks: no split, no decoding.
 */
export function looksLikeJws(token: string): boolean {
  if (token.length > MAX_TOKEN_LENGTH || !token.startsWith('eyJ')) return false;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  return first > 0 && second > first + 1 && second < token.length - 1 && token.indexOf('.', second + 1) === -1;
}

export function parseCompactJws(token: string): CompactJws | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return undefined;
  const header = decodeJsonObject(parts[0]!);
  const payload = decodeJsonObject(parts[1]!);
  if (!header || !payload) return undefined;
  return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
}

function decodeJsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
