/**
 * What the upstream's 101 agreed to in `Sec-WebSocket-Extensions` (RFC 7692 section 7). Only
 * permessage-deflate changes how the server's frames read; any other extension may give RSV bits a meaning the
 * reader does not know, so the server's frames are then not read at all.
 */

export interface DeflateParams {
  /** The server starts each message with an empty window: the reader may drop its inflater between messages. */
  serverNoContextTakeover: boolean;
  /** The server's LZ77 window, 8..15 (15 when not given). */
  serverMaxWindowBits: number;
  clientNoContextTakeover: boolean;
  /** 15 when the upstream did not name it. */
  clientMaxWindowBits: number;
}

export type Extensions =
  | { readonly deflate: DeflateParams | undefined; readonly unreadable?: undefined }
  | { readonly deflate?: undefined; readonly unreadable: 'unknown_extension' | 'bad_extension_params' };

const NONE: Extensions = Object.freeze({ deflate: undefined });

/** `header` is the 101's `Sec-WebSocket-Extensions` as Node gives it (joined with ", " when repeated). */
export function negotiatedExtensions(header: string | string[] | undefined): Extensions {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text === undefined || text.trim() === '') return NONE;
  let deflate: DeflateParams | undefined;
  for (const offer of splitOutsideQuotes(text, ',')) {
    const [name, ...params] = splitOutsideQuotes(offer, ';').map((part) => part.trim());
    if (name === '' && params.length === 0) continue;
    if (name?.toLowerCase() !== 'permessage-deflate') return Object.freeze({ unreadable: 'unknown_extension' as const });
    const parsed = deflateParams(params);
    if (parsed === undefined || deflate !== undefined) return Object.freeze({ unreadable: 'bad_extension_params' as const });
    deflate = parsed;
  }
  return Object.freeze({ deflate });
}

function deflateParams(params: string[]): DeflateParams | undefined {
  const out: DeflateParams = { serverNoContextTakeover: false, serverMaxWindowBits: 15, clientNoContextTakeover: false, clientMaxWindowBits: 15 };
  const seen = new Set<string>();
  for (const param of params) {
    const eq = param.indexOf('=');
    const key = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
    const value = eq === -1 ? undefined : unquote(param.slice(eq + 1).trim());
    if (seen.has(key)) return undefined;
    seen.add(key);
    if (key === 'server_no_context_takeover' || key === 'client_no_context_takeover') {
      if (value !== undefined) return undefined;
      if (key === 'server_no_context_takeover') out.serverNoContextTakeover = true;
      else out.clientNoContextTakeover = true;
    } else if (key === 'server_max_window_bits' || key === 'client_max_window_bits') {
      const bits = windowBits(value);
      if (bits === undefined) return undefined;
      if (key === 'server_max_window_bits') out.serverMaxWindowBits = bits;
      else out.clientMaxWindowBits = bits;
    } else {
      return undefined;
    }
  }
  return Object.freeze(out);
}

function windowBits(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,2}$/.test(value)) return undefined;
  const bits = Number(value);
  return bits >= 8 && bits <= 15 ? bits : undefined;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
