/**
 * RFC 6455 frame boundaries in a byte stream that arrives in arbitrary chunks. The scanner never copies a
 * payload: it hands the sink offsets into the chunk it was given. Only a header split across chunks is copied,
 * into a 14-byte buffer of its own. Both directions of a session run one, so the proxy always knows whether it
 * is between two frames (the only place a frame of its own may go).
 */

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Close status codes the proxy sends or reports (RFC 6455 section 7.4.1). */
export const CLOSE = { normal: 1000, goingAway: 1001, protocolError: 1002, noStatus: 1005, policyViolation: 1008 } as const;

/** A length beyond 2^53 cannot be counted in a number; RFC 6455 also forbids the top bit. */
const MAX_HIGH_WORD = 0x1fffff;

export interface FrameSink {
  /** A header is complete; its fields are on the scanner. */
  frameStart(frame: FrameScanner): void;
  /** `chunk[start, end)` is the next part of the current frame's payload, still masked if the frame is. */
  framePayload(chunk: Buffer, start: number, end: number): void;
  /** The current frame's payload is complete (right after frameStart for an empty one). */
  frameEnd(frame: FrameScanner): void;
  /** The stream can no longer be cut into frames. */
  framingLost(reason: string): void;
}

export class FrameScanner {
  fin = false;
  rsv1 = false;
  /** RSV2 or RSV3: no extension we negotiate uses them. */
  rsv23 = false;
  opcode = 0;
  masked = false;
  length = 0;
  /** Complete data messages seen (final data frames). */
  messages = 0;
  /** The status code of the first close frame seen, CLOSE.noStatus when it had none; 0 before any. */
  closeCode = 0;
  /** Why the stream stopped being framed; the scanner ignores everything after that. */
  lost: string | undefined;

  private readonly head = Buffer.alloc(14);
  private headBytes = 0;
  private inPayload = false;
  private remaining = 0;
  private payloadSeen = 0;
  private readonly maskKey = Buffer.alloc(4);
  private closeBytes = 0;

  constructor(private readonly sink: FrameSink | undefined) {}

  /** True between two frames: a frame of the proxy's own may be written here. */
  get atBoundary(): boolean {
    return !this.inPayload && this.headBytes === 0 && this.lost === undefined;
  }

  /**
   * Scans `chunk` from `from`. With `untilBoundary`, stops at the first frame boundary and returns its offset
   * (`from` itself when already between frames); returns -1 when the chunk ends inside a frame, or when it was
   * scanned to the end without `untilBoundary`.
   */
  scan(chunk: Buffer, from = 0, untilBoundary = false): number {
    let pos = from;
    const end = chunk.length;
    if (untilBoundary && this.atBoundary) return pos;
    while (pos < end && this.lost === undefined) {
      if (!this.inPayload) {
        pos = this.readHeader(chunk, pos);
        if (!this.inPayload) return -1;
        if (this.remaining === 0) {
          this.endFrame();
          if (untilBoundary) return pos;
        }
        continue;
      }
      const take = Math.min(this.remaining, end - pos);
      if (this.opcode === OPCODE.close && this.payloadSeen < 2) this.captureCloseCode(chunk, pos, take);
      this.sink?.framePayload(chunk, pos, pos + take);
      this.payloadSeen += take;
      this.remaining -= take;
      pos += take;
      if (this.remaining === 0) {
        this.endFrame();
        if (untilBoundary) return pos;
      }
    }
    return -1;
  }

  /** Reads as much of a header as `chunk` holds from `pos`; sets inPayload once the header is complete. */
  private readHeader(chunk: Buffer, pos: number): number {
    if (this.headBytes === 0 && chunk.length - pos >= 2) {
      const size = headerSize(chunk[pos + 1]!);
      if (chunk.length - pos >= size) {
        this.parseHeader(chunk, pos);
        return pos + size;
      }
    }
    while (pos < chunk.length) {
      this.head[this.headBytes++] = chunk[pos++]!;
      if (this.headBytes >= 2 && this.headBytes === headerSize(this.head[1]!)) {
        this.headBytes = 0;
        this.parseHeader(this.head, 0);
        break;
      }
    }
    return pos;
  }

  private parseHeader(buf: Buffer, at: number): void {
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    this.fin = (b0 & 0x80) !== 0;
    this.rsv1 = (b0 & 0x40) !== 0;
    this.rsv23 = (b0 & 0x30) !== 0;
    this.opcode = b0 & 0x0f;
    this.masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let next = at + 2;
    if (length === 126) {
      length = buf.readUInt16BE(next);
      next += 2;
    } else if (length === 127) {
      const high = buf.readUInt32BE(next);
      if (high > MAX_HIGH_WORD) return this.lose('bad_length');
      length = high * 0x1_0000_0000 + buf.readUInt32BE(next + 4);
      next += 8;
    }
    if (this.masked) buf.copy(this.maskKey, 0, next, next + 4);
    this.length = length;
    this.remaining = length;
    this.payloadSeen = 0;
    this.inPayload = true;
    this.sink?.frameStart(this);
  }

  private captureCloseCode(chunk: Buffer, pos: number, take: number): void {
    for (let i = 0; i < take && this.payloadSeen + i < 2; i++) {
      const at = this.payloadSeen + i;
      const byte = this.masked ? chunk[pos + i]! ^ this.maskKey[at]! : chunk[pos + i]!;
      this.closeBytes = at === 0 ? byte << 8 : this.closeBytes | byte;
    }
  }

  private endFrame(): void {
    this.inPayload = false;
    if (this.opcode === OPCODE.close && this.closeCode === 0) this.closeCode = this.length >= 2 ? this.closeBytes : CLOSE.noStatus;
    if (this.fin && this.opcode <= OPCODE.binary) this.messages++;
    this.sink?.frameEnd(this);
  }

  private lose(reason: string): void {
    this.lost = reason;
    this.inPayload = false;
    this.sink?.framingLost(reason);
  }
}

function headerSize(b1: number): number {
  const length = b1 & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}
