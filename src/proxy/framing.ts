import type { IncomingMessage } from 'node:http';
import { ProxyError, versionNotSupported } from '../http/errors';

/**
 * What RFC 9112 asks of a request's framing beyond what Node's parser enforces, checked before anything else
 * reads the request. Each is a refusal with the connection closed, as nginx and Envoy close it.
 */

/** Host = uri-host [ ":" port ] (RFC 9112 §3.2, RFC 3986 §3.2.2): an IP literal or a reg-name, then digits. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[\w\-.~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::\d*)?$/;
const CHUNKED = /^[ \t]*chunked[ \t]*$/i;
const CHUNKED_LAST = /(?:^|,)[ \t]*chunked[ \t]*$/i;

export function framingProblem(req: IncomingMessage): ProxyError | undefined {
  // Node's parser also reads request lines claiming HTTP/0.9 or HTTP/2.0 (RFC 9110 §15.6.6).
  if (req.httpVersionMajor !== 1) return versionNotSupported();
  const host = hostProblem(req);
  if (host) return host;
  const coding = req.headers['transfer-encoding'];
  return coding === undefined || CHUNKED.test(coding) ? undefined : codingProblem(coding);
}

/**
 * Node decodes the chunked coding only: a coding under it (`gzip, chunked`) would reach the upstream as
 * undeclared compressed bytes (RFC 9112 §6.1: 501). Without chunked last the body has no known end (§6.3: 400).
 */
function codingProblem(coding: string): ProxyError {
  if (!CHUNKED_LAST.test(coding)) return new ProxyError(400, 'bad_request', 'The request body has no known length: chunked is not its last transfer coding.');
  return new ProxyError(501, 'transfer_coding_not_supported', 'The only transfer coding this proxy implements is chunked.');
}

/**
 * RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, with more than one, or with one that is not a host.
 * The proxy never routes by Host, but a Host read two ways is how requests get smuggled past the parts around
 * it. Node keeps only the first of several Host lines, so they are counted in the raw headers.
 */
function hostProblem(req: IncomingMessage): ProxyError | undefined {
  const host = req.headers.host;
  if (host === undefined) return req.httpVersionMinor === 0 ? undefined : invalidHost('The request has no Host header.');
  if (!HOST.test(host)) return invalidHost('The Host header is not a valid host.');
  if (hostLines(req.rawHeaders) > 1) return invalidHost('The request has more than one Host header.');
  return undefined;
}

function hostLines(raw: string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}

const invalidHost = (message: string) => new ProxyError(400, 'invalid_host', message);
