import type { ClientRequest, IncomingMessage } from 'node:http';
import { relay, type Relay } from './relay';

/**
 * Bodies up to this size with a Content-Length (nearly every JSON API call) are gathered and sent with one
 * `end(body)`: one write instead of a pipeline, and a request that can be replayed if a reused upstream socket
 * turns out stale. Larger and chunked bodies always stream.
 */
export const REPLAYABLE_BODY_BYTES = 64 * 1024;

export type BodyMode = 'none' | 'small' | 'stream';

export function bodyModeOf(req: IncomingMessage): BodyMode {
  if (req.headers['transfer-encoding'] !== undefined) return 'stream';
  const length = req.headers['content-length'];
  if (length === undefined || length === '0') return 'none';
  return Number(length) <= REPLAYABLE_BODY_BYTES ? 'small' : 'stream';
}

/**
 * The client's body on its way upstream. Streamed, it follows stream.pipeline's rules (either side failing
 * destroys both) until the proxied request takes over the outcome. Abandoned, the rest of it is read and discarded,
 * so the client's connection can close without a reset (see closing.ts).
 */
export class Upload {
  private relay: Relay | undefined;
  private abandoned = false;

  constructor(private readonly req: IncomingMessage) {}

  streamTo(up: ClientRequest): void {
    this.relay = relay(this.req, up, () => {});
  }

  /** The body keeps flowing, but a failure of either side no longer destroys the other. */
  detach(): void {
    this.relay?.disarm();
  }

  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.relay?.stop();
    this.req.removeAllListeners('data');
    this.req.resume();
  }
}
