import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Pure header rewriting, both directions. Hop-by-hop headers (and every header `Connection` names) are
 * stripped first and the proxy's own headers are set last, so a client can neither remove nor override them.
 */

const HOP_BY_HOP = /^(?:connection|keep-alive|proxy-.*|te|trailer|transfer-encoding|upgrade)$/;

/**
 * Never forwarded upstream: the client's credentials, in either header an upstream reads one from (replaced
 * by the upstream key), its Host (replaced by the upstream's), and Expect (Node already answered `100 Continue`
 * to the client; the upstream request streams the body at once).
 */
const CLIENT_ONLY = ['x-api-key', 'authorization', 'api-key', 'host', 'expect'];

/**
 * The headers that choose who is billed on a shared key: a client's own are dropped unless the config lets them
 * pass, so that a holder of a proxy key cannot move its usage to another project of the key.
 */
export const BILLING_HEADERS: readonly string[] = ['openai-organization', 'openai-project'];

/** The client headers never forwarded: CLIENT_ONLY, and the billing headers not in `passed` (lower-case names). */
export function withheldHeaders(passed: readonly string[]): ReadonlySet<string> {
  return new Set([...CLIENT_ONLY, ...BILLING_HEADERS.filter((name) => !passed.includes(name))]);
}

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

function copyEndToEnd(headers: IncomingHttpHeaders, drop: ReadonlySet<string> | undefined, out: OutgoingHttpHeaders): void {
  const named = connectionTokens(headers.connection);
  for (const name in headers) {
    if (HOP_BY_HOP.test(name) || drop?.has(name) || named?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
}

/** The header an upstream key is sent in: `authorization` (`Bearer <key>`) or Azure OpenAI's classic `api-key`. */
export type AuthHeader = 'authorization' | 'api-key';
export const AUTH_HEADERS: readonly AuthHeader[] = ['authorization', 'api-key'];

/** The one header that carries the upstream credential. */
export interface UpstreamCredential {
  header: AuthHeader;
  value: string;
}

/**
 * How a static upstream key is sent. Short-lived access tokens are always `Authorization: Bearer`, whatever
 * `OPENAI_AUTH_HEADER` says: build their credential with `authorization`.
 */
export function upstreamCredential(header: AuthHeader, key: string): UpstreamCredential {
  return header === 'api-key' ? { header, value: key } : { header, value: `Bearer ${key}` };
}

/** The key inside a credential header's value. */
export function credentialSecret(credential: UpstreamCredential): string {
  return credential.header === 'authorization' ? credential.value.slice('Bearer '.length) : credential.value;
}

export interface UpstreamSigning {
  /** The upstream's Host header value (`api.openai.com`, or `host:port` for a non-default port). */
  host: string;
  credential: UpstreamCredential;
  /** Per-client headers from the config file, e.g. `OpenAI-Project`; names lower-case. */
  extra: Readonly<Record<string, string>>;
  /** The client's headers that never go upstream (withheldHeaders). */
  withheld: ReadonlySet<string>;
}

export function upstreamRequestHeaders(client: IncomingHttpHeaders, upstream: UpstreamSigning): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  copyEndToEnd(client, upstream.withheld, out);
  for (const name in upstream.extra) out[name] = upstream.extra[name];
  out.host = upstream.host;
  out[upstream.credential.header] = upstream.credential.value;
  return out;
}

/**
 * Headers as the flat `[name, value, ...]` list Node's http.request also takes. Node writes a list into the request
 * head as it is, where an object is first copied header by header into the request (each name checked and
 * lower-cased again) and only then written. Node checks the list's names and values as it writes them.
 */
export function headerList(headers: OutgoingHttpHeaders): string[] {
  const list: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const each of value) list.push(name, each);
    else list.push(name, String(value));
  }
  return list;
}

/** A 204 has no content, so no Content-Length either (RFC 9110 §8.6), whatever the upstream claimed. */
const NO_LENGTH = new Set(['content-length']);

/** Event streams get `X-Accel-Buffering: no` so an nginx ingress in front does not hold them back. */
export function clientResponseHeaders(upstream: IncomingHttpHeaders, status: number): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  copyEndToEnd(upstream, status === 204 ? NO_LENGTH : undefined, out);
  const type = upstream['content-type'];
  if (type?.startsWith('text/event-stream')) out['x-accel-buffering'] = 'no';
  return out;
}
