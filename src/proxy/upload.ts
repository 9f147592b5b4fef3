import type { ClientRequest, IncomingMessage } from 'node:http';
import { relay, type Relay } from './relay';

/**
 * Bodies up to this size with a Content-Length (nearly every JSON API call) are gathered and sent with one
 * `end(body)`: one write instead of a pipeline, and a request that can be replayed if a reused upstream socket
 * turns out stale. Larger and chunked bodies stream.
 */
export const GATHERED_BODY_BYTES = 64 * 1024;
/**
 * A request the proxy must read before sending (a streamed chat request whose body gets `include_usage`) is
 * gathered up to this size: long conversations run past 64 KiB, and holding one of these a moment is cheap.
 */
export const READ_BODY_BYTES = 1024 * 1024;

/** `whole`: gathered, then sent with one write (and replayable); `stream`: relayed as it arrives. */
export type BodyMode = 'none' | 'whole' | 'stream';

export function bodyModeOf(req: IncomingMessage, gatherLimit: number): BodyMode {
  if (req.headers['transfer-encoding'] !== undefined) return 'stream';
  const length = req.headers['content-length'];
  if (length === undefined || length === '0') return 'none';
  return Number(length) <= gatherLimit ? 'whole' : 'stream';
}

/**
 * The client's body on its way upstream. Gathered, it is held until sent (and let go once nothing can send it
 * again). Streamed, it follows stream.pipeline's rules (either side failing destroys both) until the proxied
 * request takes over the outcome. Abandoned, the rest of it is read and discarded, so the client's connection can
 * close without a reset (see http/closing.ts).
 */
export class Upload {
  /** Bytes read from the client so far. */
  bytes = 0;
  /** The gathered body, until it is let go. */
  whole: Buffer | undefined;
  private relay: Relay | undefined;
  private abandoned = false;

  constructor(
    private readonly req: IncomingMessage,
    /** Settled at the start, except that a peeked body that turns out whole becomes `whole`. */
    public mode: BodyMode,
  ) {}

  /** Reads the whole body, then calls `done` (not after an abandon). */
  gather(done: () => void): void {
    const chunks: Buffer[] = [];
    this.req.on('data', (chunk: Buffer) => chunks.push(chunk));
    this.req.on('end', () => {
      if (this.abandoned) return;
      this.whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.bytes = this.whole.length;
      done();
    });
  }

  /**
   * Reads the start of a streamed body (up to `max` bytes) before anything is sent, and puts it back to be relayed
   * as it came. A body that ends within `max` is whole from then on. Calls `done` with what was read.
   */
  peek(max: number, done: (head: Buffer) => void): void {
    const { req } = this;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (ended: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (this.abandoned) return;
      if (ended) {
        this.mode = 'whole';
        this.whole = head;
        this.bytes = head.length;
      } else {
        req.pause();
        req.unshift(head);
      }
      done(head);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= max) finish(false);
    };
    const onEnd = () => finish(true);
    req.on('data', onData);
    req.on('end', onEnd);
  }

  /**
   * Relays the body as it arrives; `onChunk` sees each chunk (after it is counted) to describe the first or
   * refuse a body past the limit.
   */
  streamTo(up: ClientRequest, onChunk: (chunk: Buffer, first: boolean) => void): void {
    this.relay = relay(this.req, up, () => {});
    this.req.on('data', (chunk: Buffer) => {
      const first = this.bytes === 0;
      this.bytes += chunk.length;
      onChunk(chunk, first);
    });
  }

  /**
   * The upstream answered before the client finished uploading (an early 413 or 401). The answer goes to the
   * client whole: the body keeps flowing upstream while the upstream takes it (so a full-duplex conversation
   * works), a failure of the upload no longer cuts the client, and once the answer is complete the rest of the
   * body is read and discarded (the connection then closes the lingering way).
   */
  answeredEarly(upRes: IncomingMessage, up: ClientRequest): void {
    this.detach();
    upRes.once('end', () => {
      this.abandon();
      // An upload cut short leaves the upstream connection mid-body: it cannot carry another request.
      if (!up.writableFinished) up.destroy();
    });
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
