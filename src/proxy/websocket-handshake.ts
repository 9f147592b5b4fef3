import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { REDACTED } from './redaction';

/**
 * The HTTP side of a WebSocket upgrade as pure functions: which upgrades are proxied, the browser's way of
 * sending a key, the headers that go upstream, and the 101 head that goes back.
 */

/** The two APIs that speak WebSocket: Realtime, and the Responses API's WebSocket mode. */
export const WEBSOCKET_PATHS: ReadonlySet<string> = new Set(['/v1/realtime', '/v1/responses']);

/** A browser cannot set headers on a WebSocket: it sends its key as this subprotocol (OpenAI's own convention). */
const BROWSER_KEY_PREFIX = 'openai-insecure-api-key.';

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return req.method === 'GET' && upgrade !== undefined && upgrade.toLowerCase() === 'websocket';
}

function protocols(header: string | undefined): string[] {
  return header === undefined ? [] : header.split(',').map((p) => p.trim());
}

/** The key a browser sent as a subprotocol, if it did. */
export function browserKey(headers: IncomingHttpHeaders): string | undefined {
  const entry = protocols(headers['sec-websocket-protocol']).find((p) => p.startsWith(BROWSER_KEY_PREFIX));
  const key = entry?.slice(BROWSER_KEY_PREFIX.length);
  return key === '' ? undefined : key;
}

/**
 * The headers a caller is identified by: its own, or, from a browser that sent none, the subprotocol's key as
 * if it were X-API-Key.
 */
export function callerHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  if (headers['x-api-key'] !== undefined || headers.authorization !== undefined) return headers;
  const key = browserKey(headers);
  return key === undefined ? headers : { ...headers, 'x-api-key': key };
}

/**
 * The upgrade as it goes upstream: the request's end-to-end headers as rewritten for any request (credential,
 * Host, configured headers), the upgrade itself named again (Connection and Upgrade are hop-by-hop), and the
 * browser's key taken out of the subprotocols; the other Sec-WebSocket-* headers pass as sent.
 */
export function upstreamUpgradeHeaders(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  headers.connection = 'Upgrade';
  headers.upgrade = 'websocket';
  const offered = headers['sec-websocket-protocol'];
  if (typeof offered === 'string') {
    const kept = protocols(offered).filter((p) => !p.startsWith(BROWSER_KEY_PREFIX));
    if (kept.length > 0) headers['sec-websocket-protocol'] = kept.join(', ');
    else delete headers['sec-websocket-protocol'];
  }
  return headers;
}

/** The upstream's 101, status line and headers as it sent them (the credential replaced where it was echoed). */
export function switchingHead(res: IncomingMessage, secret: string): string {
  let head = `HTTP/1.1 101 ${res.statusMessage || 'Switching Protocols'}\r\n`;
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const value = secret && raw[i + 1]!.includes(secret) ? raw[i + 1]!.split(secret).join(REDACTED) : raw[i + 1];
    head += `${raw[i]}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}
