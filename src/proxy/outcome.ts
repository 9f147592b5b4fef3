import type { ProxyError } from '../http/errors';
import type { Usage } from '../usage/tap';

/**
 * How one proxied request ended, made once when the client's response closes and handed, frozen, to everything
 * that accounts for it (metrics, the access log, the client's limits). Nothing reads a request while it runs.
 */
export interface Outcome {
  readonly client: string;
  /** `namespace/name` when the caller proved a ServiceAccount rather than sending a key. */
  readonly serviceAccount: string | undefined;
  readonly method: string;
  /** The allowlist entry that admitted the path: the `endpoint` label. */
  readonly endpoint: string;
  /** The canonical path (and query) sent upstream. */
  readonly path: string;
  /** The upstream that answered (or was tried last); undefined when none was tried. */
  readonly upstream: string | undefined;
  /** Upstreams tried (fallbacks after the first); 0 when the request never reached one. */
  readonly attempts: number;
  /** What the client got: the response status, or 499 when it left before a response head was sent. */
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  /** Request start to the upstream's response head; undefined when none arrived. */
  readonly ttfbMs: number | undefined;
  /** The request's `model`, as the client named it (read on the side, body untouched). */
  readonly model: string | undefined;
  /** Whether the request asked for a stream (what `concurrentStreams` counts). */
  readonly stream: boolean;
  /** Whether the request passed the client's limits (and so holds what they reserved). */
  readonly admitted: boolean;
  readonly usage: Usage | undefined;
  readonly upstreamRequestId: string | undefined;
  /** Why the proxy answered with its own error, or cut the response. */
  readonly error: ProxyError | undefined;
  /** The client went away before its response was complete. */
  readonly clientGone: boolean;
  /** A WebSocket session (status 101): how it went. */
  readonly session?: SessionSummary;
}

export interface SessionSummary {
  readonly messagesFromClient: number;
  readonly messagesFromUpstream: number;
  /** `client`, `upstream` or `proxy`. */
  readonly endedBy: string;
  /** The close code that ended it, when a close frame did. */
  readonly closeCode: number | undefined;
}
