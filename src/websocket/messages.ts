import { constants, createInflateRaw, type InflateRaw } from 'node:zlib';
import type { DeflateParams } from './extensions';
import { OPCODE, type FrameScanner, type FrameSink } from './frames';

/**
 * Reads the server's messages from a copy of its frames: reassembles fragments, inflates permessage-deflate,
 * and hands each complete text message on. It only ever looks: the relay has already sent each byte on, and
 * nothing here can hold it back. Anything it cannot make sense of ends the reading for the session, once.
 */

/** A text message longer than this (inflated) is relayed but not read. */
export const MAX_READ_MESSAGE = 1024 * 1024;
/** Compressed bytes waiting for the inflater; past this the reader has fallen too far behind to stay bounded. */
const MAX_INFLATE_BACKLOG = 8 * 1024 * 1024;
/** RFC 7692 section 7.2.2: the sender removed this from the end of each compressed message. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export type UnreadReason =
  | 'message_too_large'
  | 'masked_frame'
  | 'reserved_bits'
  | 'bad_opcode'
  | 'bad_control_frame'
  | 'bad_length'
  | 'orphan_continuation'
  | 'unfinished_message'
  | 'unexpected_rsv1'
  | 'bad_deflate_data'
  | 'inflate_backlog'
  | 'unknown_extension'
  | 'bad_extension_params';

export interface ReaderEvents {
  /** A complete text message. */
  onMessage(text: string): void;
  /** A text message that was not read (`stopped` false), or the end of all reading (`stopped` true). */
  onUnreadable(reason: UnreadReason, stopped: boolean): void;
}

export class ServerMessageReader implements FrameSink {
  /** Why reading stopped, if it has. */
  stopped: UnreadReason | undefined;
  unreadMessages = 0;

  private control = false;
  private inMessage = false;
  private text = false;
  private compressed = false;
  private messageBytes = 0;
  private oversized = false;
  private parts: Buffer[] = [];

  private inflater: InflateRaw | undefined;
  /** Messages in the inflater, oldest first (true: text, false: binary), and texts waiting behind them. */
  private queue: Array<boolean | string> = [];
  private inflatedParts: Buffer[] = [];
  private inflatedBytes = 0;
  private inflatedOversized = false;
  private idle: (() => void) | undefined;

  constructor(
    private readonly deflate: DeflateParams | undefined,
    private readonly events: ReaderEvents,
  ) {
    this.onInflated = this.onInflated.bind(this);
    this.onFlushed = this.onFlushed.bind(this);
    this.onInflateError = this.onInflateError.bind(this);
  }

  frameStart(frame: FrameScanner): void {
    if (this.stopped !== undefined) return;
    const { opcode } = frame;
    if (frame.masked) return this.stop('masked_frame');
    if (frame.rsv23) return this.stop('reserved_bits');
    this.control = opcode >= OPCODE.close;
    if (this.control) {
      if (opcode > OPCODE.pong) return this.stop('bad_opcode');
      if (!frame.fin || frame.length > 125) return this.stop('bad_control_frame');
      if (frame.rsv1) return this.stop('unexpected_rsv1');
      return;
    }
    if (opcode === OPCODE.continuation) {
      if (!this.inMessage) return this.stop('orphan_continuation');
      if (frame.rsv1) return this.stop('unexpected_rsv1');
    } else if (opcode === OPCODE.text || opcode === OPCODE.binary) {
      if (this.inMessage) return this.stop('unfinished_message');
      if (frame.rsv1 && this.deflate === undefined) return this.stop('unexpected_rsv1');
      this.startMessage(opcode === OPCODE.text, frame.rsv1);
    } else {
      return this.stop('bad_opcode');
    }
    this.messageBytes += frame.length;
    if (!this.compressed && this.text && !this.oversized && this.messageBytes > MAX_READ_MESSAGE) {
      this.oversized = true;
      this.parts = [];
    }
  }

  framePayload(chunk: Buffer, start: number, end: number): void {
    if (this.stopped !== undefined || this.control) return;
    const part = chunk.subarray(start, end);
    if (this.compressed) {
      this.inflater!.write(part);
      if (this.inflater!.writableLength > MAX_INFLATE_BACKLOG) this.stop('inflate_backlog');
    } else if (this.text && !this.oversized) {
      // A small piece of a large chunk is copied so that it does not keep the whole chunk alive.
      this.parts.push(part.length >= chunk.length >>> 1 ? part : Buffer.from(part));
    }
  }

  frameEnd(frame: FrameScanner): void {
    if (this.stopped !== undefined || this.control || !frame.fin) return;
    this.inMessage = false;
    if (this.compressed) {
      this.inflater!.write(TAIL);
      this.inflater!.flush(constants.Z_SYNC_FLUSH, this.onFlushed);
    } else if (this.text) {
      if (this.oversized) this.unread();
      else if (this.queue.length > 0) this.queue.push(joined(this.parts));
      else this.events.onMessage(joined(this.parts));
      this.parts = [];
    }
  }

  framingLost(): void {
    this.stop('bad_length');
  }

  /** Stops reading from the start, for a session whose extensions the reader cannot follow. */
  refuse(reason: UnreadReason): void {
    this.stop(reason);
  }

  /** Calls `done` once every message already received has been read (inflation is asynchronous). */
  whenIdle(done: () => void): void {
    if (this.queue.length === 0) done();
    else this.idle = done;
  }

  /** Frees the inflater; the session is over. */
  close(): void {
    this.inflater?.close();
    this.inflater = undefined;
    this.queue = [];
  }

  private startMessage(text: boolean, compressed: boolean): void {
    this.inMessage = true;
    this.text = text;
    this.compressed = compressed;
    this.messageBytes = 0;
    this.oversized = false;
    if (!compressed) return;
    if (this.inflater === undefined) {
      // zlib's deflate never uses an 8-bit window (it silently takes 9), so a server that agreed to 8 sends 9.
      this.inflater = createInflateRaw({ windowBits: Math.max(9, this.deflate!.serverMaxWindowBits) });
      this.inflater.on('data', this.onInflated);
      this.inflater.on('error', this.onInflateError);
    }
    this.queue.push(text);
  }

  private onInflated(chunk: Buffer): void {
    if (this.inflatedOversized) return;
    this.inflatedBytes += chunk.length;
    if (this.inflatedBytes > MAX_READ_MESSAGE) {
      this.inflatedOversized = true;
      this.inflatedParts = [];
    } else if (this.queue[0] === true) {
      this.inflatedParts.push(chunk);
    }
  }

  private onFlushed(): void {
    if (this.stopped !== undefined || this.queue.length === 0) return;
    const text = this.queue.shift() === true;
    if (text && this.inflatedOversized) this.unread();
    else if (text) this.events.onMessage(joined(this.inflatedParts));
    this.inflatedParts = [];
    this.inflatedBytes = 0;
    this.inflatedOversized = false;
    while (typeof this.queue[0] === 'string') this.events.onMessage(this.queue.shift() as string);
    if (this.queue.length > 0) return;
    // Without context takeover nothing carries over to the next message, so the inflater's memory need not.
    if (this.deflate?.serverNoContextTakeover) this.close();
    this.becameIdle();
  }

  private onInflateError(): void {
    this.stop('bad_deflate_data');
  }

  private unread(): void {
    this.unreadMessages++;
    this.events.onUnreadable('message_too_large', false);
  }

  private stop(reason: UnreadReason): void {
    if (this.stopped !== undefined) return;
    this.stopped = reason;
    this.parts = [];
    this.inflatedParts = [];
    this.close();
    this.events.onUnreadable(reason, true);
    this.becameIdle();
  }

  private becameIdle(): void {
    const idle = this.idle;
    this.idle = undefined;
    idle?.();
  }
}

function joined(parts: Buffer[]): string {
  if (parts.length === 1) return parts[0]!.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}
