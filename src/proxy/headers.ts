import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Pure header rewriting, both directions. Hop-by-hop headers (and every header `Connection` names) are
 * stripped first and the proxy's own headers are set last, so a client can neither remove nor override them.
 */

const HOP_BY_HOP = /^(?:connection|keep-alive|proxy-.*|te|trailer|transfer-encoding|upgrade)$/;

/**
 * Never forwarded upstream: the client's credentials (replaced by the upstream key), its Host (replaced by
 * the upstream's), and Expect (Node already answered `100 Continue` to the client; the upstream request
 * streams the body at once).
 */
const CLIENT_ONLY = new Set(['x-api-key', 'authorization', 'host', 'expect']);

/** Header names listed in a `Connection` header, lower-cased. */
export function connectionTokens(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  const joined = Array.isArray(connection) ? connection.join(',') : connection;
  const tokens = new Set<string>();
  for (const token of joined.split(',')) {
    const name = token.trim().toLowerCase();
    if (name) tokens.add(name);
  }
  return tokens;
}

function copyEndToEnd(headers: IncomingHttpHeaders, drop: Set<string> | undefined, out: OutgoingHttpHeaders): void {
  const named = connectionTokens(headers.connection);
  for (const name in headers) {
    if (HOP_BY_HOP.test(name) || drop?.has(name) || named?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
}

export interface UpstreamIdentity {
  /** The upstream's Host header value (`api.openai.com`, or `host:port` for a non-default port). */
  host: string;
  /** `Bearer <upstream key>`. */
  authorization: string;
  /** Per-client headers from the config file, e.g. `OpenAI-Project`; names lower-case. */
  extra: Readonly<Record<string, string>>;
}

export function upstreamRequestHeaders(client: IncomingHttpHeaders, upstream: UpstreamIdentity): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  copyEndToEnd(client, CLIENT_ONLY, out);
  for (const name in upstream.extra) out[name] = upstream.extra[name];
  out.host = upstream.host;
  out.authorization = upstream.authorization;
  return out;
}

/** A 204 has no content, so no Content-Length either (RFC 9110 §8.6), whatever the upstream claimed. */
const NO_LENGTH = new Set(['content-length']);

/** Event streams get `X-Accel-Buffering: no` so an nginx ingress in front does not hold them back. */
export function clientResponseHeaders(upstream: IncomingHttpHeaders, status: number): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  copyEndToEnd(upstream, status === 204 ? NO_LENGTH : undefined, out);
  const type = upstream['content-type'];
  if (type !== undefined && type.startsWith('text/event-stream')) out['x-accel-buffering'] = 'no';
  return out;
}
