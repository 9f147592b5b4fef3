/**
 * Path normalisation and the allowlist. A request target is reduced to one canonical path before it is
 * matched, and that canonical path is what goes upstream, so what was checked is what is sent.
 */

export const DEFAULT_ENDPOINTS: readonly string[] = [
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/images/',
  '/v1/audio/',
  '/v1/models',
  // Realtime: WebSocket sessions, and WebRTC's plain-HTTP calls and client secrets.
  '/v1/realtime',
];

/** Longer paths are not OpenAI API paths; refusing them early bounds the work per request. */
export const MAX_PATH_LENGTH = 2048;

export interface Target {
  /** Canonical path: no dot segments, no empty segments, unreserved characters decoded. */
  path: string;
  /** The raw query string without `?`, or '' (passed through untouched). */
  query: string;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const HEX = /^[0-9A-Fa-f]{2}$/;
/** `/` and `\` would change the path's shape; `%` and `;` could, for a server that decodes again or reads path parameters. */
const REFUSED_ESCAPES = new Set([0x2f, 0x5c, 0x25, 0x3b]);

/**
 * Returns undefined for anything that is not a plain origin-form path we can reason about: absolute-form
 * and authority-form targets, backslashes, control characters, encoded slashes/backslashes/NUL,
 * malformed percent-escapes, and `..` that would climb above the root. Also refused, because some server
 * behind the proxy could read them as a dot segment even after this normalisation: an encoded `%` (`%252e`
 * decoded twice), `;` raw or encoded (servlet containers read `..;x` as `..`), and any byte outside ASCII,
 * raw or encoded (overlong UTF-8 `%c0%ae`, fullwidth `．` under NFKC). No OpenAI API path needs any of them.
 */
export function normaliseTarget(rawTarget: string): Target | undefined {
  if (rawTarget.length === 0 || rawTarget.charCodeAt(0) !== 47 /* / */) return undefined;
  const q = rawTarget.indexOf('?');
  const rawPath = q === -1 ? rawTarget : rawTarget.slice(0, q);
  const query = q === -1 ? '' : rawTarget.slice(q + 1);
  if (rawPath.length > MAX_PATH_LENGTH) return undefined;
  if (isCanonical(rawPath)) return { path: rawPath, query };
  const decoded = decodeSafe(rawPath);
  if (decoded === undefined) return undefined;
  const path = removeDotSegments(decoded);
  return path === undefined ? undefined : { path, query };
}

/**
 * Whether the path is already what decodeSafe and removeDotSegments would make of it: printable ASCII without
 * `%`, `\` or `;`, and no empty, `.` or `..` segment (a trailing slash is kept as it is). Nearly every request's
 * path is, and is then taken as it came, without building it again.
 */
function isCanonical(rawPath: string): boolean {
  let segmentStart = 1;
  for (let i = 1; i <= rawPath.length; i++) {
    const c = i < rawPath.length ? rawPath.charCodeAt(i) : 0x2f;
    if (c === 0x2f /* / */) {
      const length = i - segmentStart;
      if (length === 0 && i < rawPath.length) return false;
      if (length === 1 && rawPath.charCodeAt(segmentStart) === 0x2e /* . */) return false;
      if (length === 2 && rawPath.charCodeAt(segmentStart) === 0x2e && rawPath.charCodeAt(segmentStart + 1) === 0x2e) return false;
      segmentStart = i + 1;
    } else if (c < 0x21 || c >= 0x7f || c === 0x5c /* \ */ || c === 0x3b /* ; */ || c === 0x25 /* % */) {
      return false;
    }
  }
  return true;
}

/** Decodes %XX only where it names an unreserved character; refuses what could change the path's shape. */
function decodeSafe(rawPath: string): string | undefined {
  let out = '';
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c < 0x21 || c >= 0x7f || c === 0x5c /* \ */ || c === 0x3b /* ; */) return undefined;
    if (c !== 0x25 /* % */) {
      out += rawPath[i];
      continue;
    }
    const hex = rawPath.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return undefined;
    const code = parseInt(hex, 16);
    if (REFUSED_ESCAPES.has(code) || code < 0x20 || code >= 0x7f) return undefined;
    const ch = String.fromCharCode(code);
    out += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

function removeDotSegments(path: string): string | undefined {
  const segments = path.split('/');
  const kept: string[] = [];
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (kept.length === 0) return undefined;
      kept.pop();
      continue;
    }
    kept.push(segment);
  }
  const last = segments[segments.length - 1];
  const trailingSlash = kept.length > 0 && last === '';
  return `/${kept.join('/')}${trailingSlash ? '/' : ''}`;
}

/**
 * The allowlist entry that admits `path`, which becomes the `endpoint` label. An entry ending in `/` admits
 * everything below it; any other entry admits itself and its sub-paths (`/v1/models/gpt-4.1`), never a
 * sibling that merely shares its prefix (`/v1/modelsX`).
 */
export function matchEndpoint(path: string, allowlist: readonly string[]): string | undefined {
  for (const entry of allowlist) {
    if (entry.endsWith('/')) {
      if (path.startsWith(entry)) return entry;
    } else if (path === entry || (path.startsWith(entry) && path.charCodeAt(entry.length) === 47)) {
      return entry;
    }
  }
  return undefined;
}
