import type { IncomingMessage } from 'node:http';
import { ProxyError } from './errors';

/**
 * The upstream's failures in the proxy's words: which answer each becomes, the `reason` label it is counted
 * under, and what may be retried. The token endpoint's failures use the same words.
 */

/** Errors that mean "never reached a server that proved who it is". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENETDOWN']);
const TLS_FAILURE = /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/** Maps a socket/HTTP error from the upstream request to the proxy's answer; `reason` is the metric label. */
export function classifyUpstreamError(err: NodeJS.ErrnoException, responseStarted: boolean): ProxyError {
  if (err instanceof ProxyError) return err;
  const code = err.code ?? '';
  if (responseStarted) return upstreamError(502, 'upstream_reset', 'reset_mid_response', 'The upstream connection failed mid-response.', err);
  if (UNREACHABLE.has(code)) return upstreamError(502, 'upstream_unreachable', 'unreachable', 'The upstream could not be reached.', err);
  if (TLS_FAILURE.test(code)) return upstreamError(502, 'upstream_unreachable', 'tls', 'The upstream did not present a valid TLS certificate.', err);
  if (code.startsWith('HPE_')) return upstreamError(502, 'upstream_bad_response', 'bad_response', 'The upstream sent a malformed HTTP response.', err);
  return upstreamError(502, 'upstream_reset', 'reset', 'The upstream closed the connection before responding.', err);
}

export class UpstreamError extends ProxyError {
  constructor(
    status: number,
    code: string,
    readonly reason: string,
    message: string,
    cause?: unknown,
  ) {
    super(status, code, message, { cause });
  }
}

function upstreamError(status: number, code: string, reason: string, message: string, cause: unknown): UpstreamError {
  return new UpstreamError(status, code, reason, message, cause);
}

/** Methods RFC 9110 §9.2.2 defines as idempotent (TRACE is refused before it gets here). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Whether a request may be sent a second time without asking the client (RFC 9110 §9.2.2). */
export function isReplayable(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** Transfer codings other than chunked, which the proxy would silently strip while passing the coded bytes on. */
const CHUNKED = /^\s*chunked\s*$/i;

/**
 * An upstream response the proxy must not pass on: `101 Switching Protocols` (the proxy never asks to switch;
 * RFC 9110 §15.2.2) or a transfer coding it does not implement (RFC 9112 §6.1).
 */
export function unforwardable(res: IncomingMessage): UpstreamError | undefined {
  if (res.statusCode === 101) return switchedProtocols();
  const coding = res.headers['transfer-encoding'];
  if (coding !== undefined && !CHUNKED.test(coding)) {
    return new UpstreamError(502, 'upstream_bad_response', 'bad_response', 'The upstream used a transfer coding the proxy does not implement.');
  }
  return undefined;
}

export const switchedProtocols = () =>
  new UpstreamError(502, 'upstream_bad_response', 'bad_response', 'The upstream switched protocols, which the proxy never asks for.');
export const badResponse = (cause: unknown) =>
  new UpstreamError(502, 'upstream_bad_response', 'bad_response', 'The upstream sent a response the proxy cannot forward.', cause);
export const connectTimeout = () => new UpstreamError(504, 'upstream_connect_timeout', 'connect_timeout', 'Connecting to the upstream timed out.');
export const firstByteTimeout = () => new UpstreamError(504, 'upstream_timeout', 'first_byte_timeout', 'The upstream did not start responding in time.');
export const idleTimeout = () => new UpstreamError(504, 'upstream_timeout', 'idle_timeout', 'The upstream stopped sending or reading data.');

/** What the access log says about an upstream failure; none of it comes from the request, so no key can. */
export interface UpstreamFailure {
  reason: string;
  /** Node's error code (ECONNREFUSED, ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT, ...), when there is one. */
  code?: string;
  /** Node's own words: the address refused, the name not found, the certificate's complaint. */
  message?: string;
}

export function describeUpstreamFailure(err: UpstreamError): UpstreamFailure {
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  if (!(cause instanceof Error)) return { reason: err.reason };
  return { reason: err.reason, code: cause.code, message: cause.message.slice(0, 300) };
}

/** Failures of a reused keep-alive socket that the upstream closed as we wrote: the request never arrived. */
export function isStaleSocketError(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'ECONNABORTED';
}
