/**
 * Seeded generator of hostile request targets, and independent reference interpretations of a path, for the
 * randomised path tests. No dependency: a xorshift32 PRNG, so a failing seed can be replayed exactly.
 *
 * Stable exports:
 *   prng(seed)                 -> () => number in [0, 1)
 *   generateTarget(rand)       one request target built from pieces: allowlist words, `..`, `.`, `%2e`,
 *                              `%2E%2e`, `%2f`, `%5c`, `\`, `//`, `%00`, `%252e` (double encoding), overlong
 *                              UTF-8, fullwidth dots, raw unicode, absolute-form prefixes, very long runs
 *   referencePath(path, mode)  how a server behind the proxy could read `path`, done without src/http/routes.ts:
 *                              'once'     percent-decode once (RFC 3986, what Node, Go, Python servers do),
 *                                         strict UTF-8, `\` read as `/`, dot segments resolved by node:path
 *                              'repeated' percent-decode until nothing changes (also %uXXXX), lenient UTF-8
 *                                         that accepts overlong forms, NFKC, `\` as `/`, NUL cuts the path,
 *                                         `;params` dropped per segment (servlet style), then node:path
 *   inAllowlist(path, list)    the allowlist rule written out again (prefix entries end in `/`)
 *   ALLOWLIST                  the default endpoints, restated here rather than imported
 */
import { posix } from 'node:path';

export const ALLOWLIST = [
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/images/',
  '/v1/audio/',
  '/v1/models',
  '/v1/realtime',
];

export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

const WORDS = [
  'v1',
  'v1',
  'v1',
  'models',
  'chat',
  'completions',
  'responses',
  'embeddings',
  'images',
  'audio',
  'files',
  'fine_tuning',
  'admin',
  'etc',
  'passwd',
  'gpt-4.1',
  'speech',
  'generations',
  'organization',
  'x',
];
const DOTS = [
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '%2E%2e',
  '.%2e',
  '%2e.',
  '%252e',
  '%252e%252e',
  '%25252e',
  '%c0%ae',
  '%c0%ae%c0%ae',
  '%e0%80%ae',
  '%C0%2E',
  '\uff0e\uff0e',
  '%ef%bc%8e%ef%bc%8e',
  '..;',
  '...',
  '%u002e%u002e',
];
const SEPARATORS = [
  '/',
  '/',
  '/',
  '/',
  '//',
  '%2f',
  '%2F',
  '%5c',
  '%5C',
  '\\',
  '%252f',
  '%255c',
  '%c0%af',
  '%e0%80%af',
  '%00',
  '%2500',
  '/;/',
  '\u2215',
  '%0a',
  '%09',
  ' ',
  '%20',
];
const UNICODE = ['é', '%C3%A9', 'ß', '\u0130', '\u212a', '%e2%80%ae', '😀', '%F0%9F%98%80', '%ff', '%zz', '%', '%2', '#frag'];
const PREFIXES = [
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  'http://evil.example',
  'https://api.openai.com',
  'http://127.0.0.1:1',
  '//evil.example',
  '*',
  'evil.example:443',
  '/v1/models/',
  '/v1/chat/completions/',
];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** A target of 1-12 pieces after a prefix (half of them an allowlist entry); about one in twenty carries a query, one in fifty is made very long. */
export function generateTarget(rand: () => number): string {
  // Half start inside the allowlist, so that many targets are admitted and their tails get tested.
  let target = rand() < 0.5 ? pick(rand, ALLOWLIST) : pick(rand, PREFIXES);
  if (target === '' || target.endsWith('/') === false) target += '/';
  const pieces = 1 + Math.floor(rand() * 12);
  for (let i = 0; i < pieces; i++) {
    const r = rand();
    if (r < 0.4) target += pick(rand, WORDS);
    else if (r < 0.65) target += pick(rand, DOTS);
    else if (r < 0.8) target += pick(rand, UNICODE);
    else target += pick(rand, SEPARATORS);
    if (rand() < 0.55) target += rand() < 0.85 ? '/' : pick(rand, SEPARATORS);
  }
  if (rand() < 0.02) target += 'a'.repeat(1500 + Math.floor(rand() * 1500));
  if (rand() < 0.05) target += `?${pick(rand, ['x=../../files', 'p=%2e%2e%2f', 'a=/v1/files', 'q=é'])}`;
  return target;
}

export type DecodeMode = 'once' | 'repeated';

/** `path` as a latin1 string of bytes (what Node hands a server in req.url) or any JS string (encoded UTF-8). */
function toBytes(path: string): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: any Latin-1 path, control characters included, is sent byte for byte.
  return /^[\x00-\xff]*$/.test(path) ? Buffer.from(path, 'latin1') : Buffer.from(path, 'utf8');
}

function percentDecode(bytes: Buffer, iisUnicode: boolean): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const hex = bytes.subarray(i + 1, i + 3).toString('latin1');
    if (b === 0x25 && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (iisUnicode && b === 0x25 && /^[uU][0-9A-Fa-f]{4}$/.test(bytes.subarray(i + 1, i + 6).toString('latin1'))) {
      out.push(...Buffer.from(String.fromCharCode(parseInt(bytes.subarray(i + 2, i + 6).toString('latin1'), 16)), 'utf8'));
      i += 5;
    } else out.push(b);
  }
  return Buffer.from(out);
}

/** UTF-8 without the overlong check (the decoder bug behind `%c0%ae` traversals); bad bytes become U+FFFD. */
function lenientUtf8(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const cont = (k: number) => (bytes[i + k]! & 0xc0) === 0x80;
    if (b < 0x80) out += String.fromCharCode(b);
    else if (b >= 0xc0 && b < 0xe0 && cont(1)) {
      out += String.fromCodePoint(((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 1;
    } else if (b >= 0xe0 && b < 0xf0 && cont(1) && cont(2)) {
      out += String.fromCodePoint(((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 2;
    } else out += '\ufffd';
  }
  return out;
}

export function referencePath(path: string, mode: DecodeMode): string {
  let bytes = percentDecode(toBytes(path), mode === 'repeated');
  if (mode === 'repeated') {
    for (let i = 0; i < 10; i++) {
      const next = percentDecode(bytes, true);
      if (next.equals(bytes)) break;
      bytes = next;
    }
  }
  let text = mode === 'repeated' ? lenientUtf8(bytes).normalize('NFKC') : new TextDecoder('utf-8').decode(bytes);
  if (mode === 'repeated' && text.includes('\0')) text = text.slice(0, text.indexOf('\0'));
  text = text.replace(/\\/g, '/');
  // Servlet containers read `..;x` as `..` (path parameters); the repeated reading does too.
  if (mode === 'repeated')
    text = text
      .split('/')
      .map((segment) => segment.split(';')[0])
      .join('/');
  if (!text.startsWith('/')) text = `/${text}`;
  return posix.normalize(text);
}

export function inAllowlist(path: string, list: readonly string[] = ALLOWLIST): boolean {
  const p = path.split('?')[0]!;
  return list.some((e) => (e.endsWith('/') ? p.startsWith(e) : p === e || p.startsWith(`${e}/`)));
}
