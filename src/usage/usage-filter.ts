import { Transform, type TransformCallback } from 'node:stream';
import { CUT, DROP, UsageChunkReader } from './usage-chunk';

/**
 * The response half of exact stream counting: the SSE body of a request that went upstream with
 * `include_usage` added, turned back into the bytes the client would have received without it. Complete events
 * go out as soon as their blank line arrives (a read that holds several gives them all at once); only the
 * event still arriving is held, and one that grows past MAX_EVENT_BYTES goes out as it is.
 *
 * Events end at a blank line; lines end in `\n` or `\r\n`, split across reads anywhere.
 */

/** The largest event held back whole; a chat chunk is well under 1 KiB, a usage chunk too. */
export const MAX_EVENT_BYTES = 256 * 1024;

const CR = 0x0d;

export type UsageListener = (usage: Record<string, unknown>) => void;

export class IncludedUsageFilter {
  /** The start of the event still arriving, from earlier reads. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Bytes of the current line seen so far, and whether they are a lone `\r`: a blank line may span reads. */
  private lineBytes = 0;
  private lineIsCr = false;
  /** The current event outgrew MAX_EVENT_BYTES: its bytes flow untouched until it ends. */
  private passing = false;
  private readonly reader = new UsageChunkReader();

  /** `onUsage` gets the usage of each usage-carrying chunk removed (one per stream from OpenAI). */
  constructor(private readonly onUsage: UsageListener) {}

  /** The bytes to send for this read, in order (views of `chunk` where nothing changed). */
  write(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const text = chunk.toString('latin1');
    let sent = 0;
    let eventStart = 0;
    let pos = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', pos)) {
      const length = this.lineBytes + nl - pos;
      const blank = length === 0 || (length === 1 && (nl > pos ? text.charCodeAt(pos) === CR : this.lineIsCr));
      this.lineBytes = 0;
      this.lineIsCr = false;
      pos = nl + 1;
      if (!blank) continue;
      if (this.passing) this.passing = false;
      else if (this.held.length > 0) sent = this.settleHeld(chunk, pos, out);
      else sent = this.settle(chunk, text, eventStart, pos, sent, out);
      eventStart = pos;
    }
    if (pos < chunk.length) {
      this.lineIsCr = this.lineBytes === 0 && chunk.length - pos === 1 && chunk[pos] === CR;
      this.lineBytes += chunk.length - pos;
    }
    if (this.passing) {
      push(out, chunk, sent, chunk.length);
      return out;
    }
    push(out, chunk, sent, eventStart);
    if (eventStart < chunk.length) this.hold(chunk.subarray(eventStart), out);
    return out;
  }

  /** The end of the body: an event cut short goes out as it arrived. */
  end(): Buffer[] {
    const out = this.held;
    this.held = [];
    this.heldBytes = 0;
    return out;
  }

  /** Edits the event `chunk[start, end)`; returns how far the chunk is now sent (or dropped). */
  private settle(chunk: Buffer, text: string, start: number, end: number, sent: number, out: Buffer[]): number {
    const verdict = this.reader.read(text, start, end);
    if (this.reader.usage) this.onUsage(this.reader.usage);
    if (verdict === CUT) {
      push(out, chunk, sent, this.reader.cutStart);
      return this.reader.cutEnd;
    }
    if (verdict === DROP) {
      push(out, chunk, sent, start);
      return end;
    }
    return sent;
  }

  /** The event that began in earlier reads ends at `end` in this one: it is read whole, once. */
  private settleHeld(chunk: Buffer, end: number, out: Buffer[]): number {
    this.held.push(chunk.subarray(0, end));
    const event = Buffer.concat(this.held, this.heldBytes + end);
    this.held = [];
    this.heldBytes = 0;
    const sent = this.settle(event, event.toString('latin1'), 0, event.length, 0, out);
    push(out, event, sent, event.length);
    return end;
  }

  private hold(rest: Buffer, out: Buffer[]): void {
    this.held.push(rest);
    this.heldBytes += rest.length;
    if (this.heldBytes <= MAX_EVENT_BYTES) return;
    for (const piece of this.held) out.push(piece);
    this.held = [];
    this.heldBytes = 0;
    this.passing = true;
  }
}

function push(out: Buffer[], chunk: Buffer, start: number, end: number): void {
  if (end > start) out.push(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end));
}

/** The filter as a stream stage between the upstream response and the client, with backpressure. */
export class IncludedUsageStream extends Transform {
  private readonly usageFilter: IncludedUsageFilter;

  constructor(onUsage: UsageListener) {
    super();
    this.usageFilter = new IncludedUsageFilter(onUsage);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let pieces: Buffer[];
    try {
      pieces = this.usageFilter.write(chunk);
    } catch (err) {
      return done(err as Error);
    }
    // One push per read: the pieces of an edited read are small, and one write keeps one HTTP chunk.
    if (pieces.length === 1) this.push(pieces[0]);
    else if (pieces.length > 1) this.push(Buffer.concat(pieces));
    done();
  }

  override _flush(done: TransformCallback): void {
    const pieces = this.usageFilter.end();
    if (pieces.length > 0) this.push(Buffer.concat(pieces));
    done();
  }
}
