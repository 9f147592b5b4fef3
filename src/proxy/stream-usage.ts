import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { StreamUsage } from '../config/types';
import { includeUsage, type UsageRewrite } from '../usage/include-usage';

/** The streaming endpoints whose requests can ask for a usage chunk (`stream_options.include_usage`). */
const USAGE_PATHS: ReadonlySet<string> = new Set(['/v1/chat/completions', '/v1/completions']);

/**
 * Whether the request's body is read whole before it is sent, so that usage can be asked for on the client's
 * behalf: `inject`, a JSON POST to a streaming endpoint, not content-encoded (its bytes are edited in place).
 */
export function mayAskForUsage(req: IncomingMessage, path: string, mode: StreamUsage): boolean {
  if (mode !== 'inject' || req.method !== 'POST' || req.headers['content-encoding'] !== undefined) return false;
  const type = req.headers['content-type'];
  return type?.startsWith('application/json') === true && USAGE_PATHS.has(path);
}

/** The body to send instead, for a streaming request that did not ask for usage; undefined sends it as it is. */
export function askForUsage(body: Buffer, parsed: Record<string, unknown> | undefined): UsageRewrite | undefined {
  return parsed === undefined ? undefined : includeUsage(body, parsed);
}

/**
 * The upstream headers of a rewritten request: its new length, and an uncompressed answer, because the stream
 * filter reads the event stream as it passes (any client may be answered without compression).
 */
export function rewrittenHeaders(headers: OutgoingHttpHeaders, body: Buffer): OutgoingHttpHeaders {
  headers['content-length'] = body.length;
  headers['accept-encoding'] = 'identity';
  return headers;
}
