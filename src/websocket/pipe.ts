import type { Duplex } from 'node:stream';
import { FrameScanner, type FrameSink } from './frames';

/**
 * One direction of a session: every chunk from `source` is written to `sink` as it came, and scanned for frame
 * boundaries on the way. A frame of the proxy's own (a close) waits for the next boundary, so it never lands
 * inside a frame in flight. While `sink` is full, `source` is paused, so a session holds at most a chunk or two
 * per direction.
 */

export interface PipeOwner {
  /** A chunk arrived (the session's idle clock). */
  activity(): void;
  /** The source sent its close frame, or a close frame reached the sink. */
  closeProgress(pipe: Pipe): void;
}

export class Pipe {
  readonly scanner: FrameScanner;
  bytes = 0;
  /** The sink has been sent a close frame, relayed or the proxy's own. */
  closeForwarded = false;
  /** Set once the source has sent FIN or its socket closed. */
  sourceDone = false;
  private relaying = true;
  private pendingClose: Buffer | undefined;
  private paused = false;

  constructor(
    readonly source: Duplex,
    readonly sink: Duplex,
    frames: FrameSink | undefined,
    private readonly owner: PipeOwner,
  ) {
    this.scanner = new FrameScanner(frames);
    this.onData = this.onData.bind(this);
    this.onDrain = this.onDrain.bind(this);
  }

  /** The source has sent a close frame. */
  get sourceClosed(): boolean {
    return this.scanner.closeCode !== 0;
  }

  onData(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.owner.activity();
    const closedBefore = this.sourceClosed;
    if (!this.relaying) {
      this.scanner.scan(chunk);
    } else if (this.pendingClose === undefined) {
      this.scanner.scan(chunk);
      this.write(chunk);
      if (this.sourceClosed) this.closeForwarded = true;
    } else {
      this.relayUpToBoundary(chunk);
    }
    if (this.sourceClosed !== closedBefore) this.owner.closeProgress(this);
  }

  onDrain(): void {
    if (!this.paused) return;
    this.paused = false;
    this.source.resume();
  }

  /**
   * Sends `frame` (a close) at the next frame boundary and relays nothing from the source after it; the source
   * is still scanned, to see its answer. Nothing is sent when the sink already has a close frame.
   */
  closeWith(frame: Buffer): void {
    if (this.closeForwarded || !this.relaying || this.pendingClose !== undefined) return;
    if (this.scanner.lost !== undefined) {
      // The stream cannot be cut into frames: any byte of ours could land inside one.
      this.relaying = false;
      return;
    }
    this.pendingClose = frame;
    if (this.scanner.atBoundary) this.sendPendingClose();
  }

  /** Ends the sink once what was written to it has gone out. */
  endSink(): void {
    if (!this.sink.destroyed && !this.sink.writableEnded) this.sink.end();
  }

  private relayUpToBoundary(chunk: Buffer): void {
    const at = this.scanner.scan(chunk, 0, true);
    if (at === -1) return this.write(chunk);
    if (at > 0) this.write(chunk.subarray(0, at));
    if (this.sourceClosed) {
      // The frame in flight was the source's own close: the sink has its close frame, ours would be a second.
      this.pendingClose = undefined;
      this.relaying = false;
      this.closeForwarded = true;
    } else {
      this.sendPendingClose();
    }
    this.scanner.scan(chunk, at);
  }

  private sendPendingClose(): void {
    const frame = this.pendingClose!;
    this.pendingClose = undefined;
    this.relaying = false;
    this.closeForwarded = true;
    this.write(frame);
    this.owner.closeProgress(this);
  }

  private write(chunk: Buffer): void {
    const sink = this.sink;
    if (sink.destroyed || sink.writableEnded) return;
    if (sink.write(chunk) || this.paused) return;
    this.paused = true;
    this.source.pause();
  }
}
