import { StringDecoder } from 'node:string_decoder';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { countDeltas } from './deltas';

/**
 * Token accounting on the side. The tap sees each response chunk after it has been handed to the client, keeps
 * only what it needs (a bounded line buffer for SSE, a bounded tail for JSON, a small compressed body), and
 * gives up quietly on anything it does not understand. It never alters, delays or holds back a byte.
 *
 * A response that ends without usage (a stream cut short, an upstream that reports none) is counted as an
 * estimate: the input is the reservation the request was admitted with, the output the content deltas streamed.
 */

/** A parsed JSON object whose members are read by name, each checked where it is used. */
// biome-ignore lint/suspicious/noExplicitAny: the upstream's JSON is read member by member and every value checked before use.
type JsonObject = Record<string, any>;

export interface Usage {
  input: number;
  output: number;
  cachedInput: number;
  reasoning: number;
  /** True when the upstream reported no usage and the figures are the proxy's estimate. */
  estimated: boolean;
}

/** An SSE line longer than this (a huge `response.completed`) is skipped rather than held. */
const MAX_SSE_LINE = 1024 * 1024;
/** `usage` sits at the end of a JSON response (chat, completions, embeddings, responses). */
const JSON_TAIL = 16 * 1024;
/** Compressed JSON bodies up to this size are kept and inflated at the end; larger ones are not counted. */
const MAX_COMPRESSED = 256 * 1024;
const MAX_INFLATED = 8 * 1024 * 1024;

type Shape = 'sse' | 'json' | 'compressed' | 'none';

/** The Responses API's last event, whichever way the response ended, carries the response and its usage. */
const FINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

export class UsageTap {
  private readonly shape: Shape;
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private skippingLine = false;
  /** The last chunks of a JSON body, at least JSON_TAIL bytes of it when there are that many: decoded at the end. */
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private compressed: Buffer[] = [];
  private compressedBytes = 0;
  /** Content deltas seen in an event stream, the output estimate when no usage arrives. */
  private deltas = 0;
  private ended = false;
  usage: Usage | undefined;
  model: string | undefined;

  /** `reservation`: the input tokens to count if the response reports none (`ceil(bytes / 4)` of a JSON body). */
  constructor(
    contentType: string | undefined,
    private readonly contentEncoding: string | undefined,
    private readonly reservation = 0,
  ) {
    const type = contentType ?? '';
    const encoded = contentEncoding !== undefined && contentEncoding !== 'identity';
    if (type.startsWith('text/event-stream')) this.shape = encoded ? 'none' : 'sse';
    else if (type.startsWith('application/json')) this.shape = encoded ? 'compressed' : 'json';
    else this.shape = 'none';
  }

  write(chunk: Buffer): void {
    if (this.ended) return;
    switch (this.shape) {
      case 'sse':
        return this.scanSse(this.decoder.write(chunk));
      case 'json':
        this.tail.push(chunk);
        this.tailBytes += chunk.length;
        while (this.tailBytes - this.tail[0]!.length >= JSON_TAIL) this.tailBytes -= this.tail.shift()!.length;
        return;
      case 'compressed':
        this.compressedBytes += chunk.length;
        if (this.compressedBytes <= MAX_COMPRESSED) this.compressed.push(chunk);
        else this.compressed = [];
        return;
    }
  }

  /** Call when the response body ends or is cut short; later calls return the same answer. */
  end(): Usage | undefined {
    if (this.ended) return this.usage;
    this.ended = true;
    // A last line without its newline: complete JSON is counted, a line cut short fails to parse.
    if (this.shape === 'sse' && !this.skippingLine && this.pending.startsWith('data:')) this.readEvent(this.pending + this.decoder.end());
    this.pending = '';
    if (this.shape === 'json' && this.tail.length > 0) {
      const body = this.tail.length === 1 ? this.tail[0]! : Buffer.concat(this.tail);
      this.readJson(body.subarray(Math.max(0, body.length - JSON_TAIL)).toString('utf8'));
      this.tail = [];
    }
    if (this.shape === 'compressed' && this.compressed.length > 0) this.readJson(this.inflate(Buffer.concat(this.compressed)));
    this.compressed = [];
    if (!this.usage && (this.reservation > 0 || this.deltas > 0)) {
      this.usage = { input: this.reservation, output: this.deltas, cachedInput: 0, reasoning: 0, estimated: true };
    }
    return this.usage;
  }

  private scanSse(text: string): void {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = this.skippingLine ? '' : this.pending + text.slice(start, nl);
      this.pending = '';
      this.skippingLine = false;
      if (line.startsWith('data:')) this.readEvent(line);
      start = nl + 1;
    }
    if (this.skippingLine) return;
    this.pending += text.slice(start);
    if (this.pending.length > MAX_SSE_LINE) {
      this.pending = '';
      this.skippingLine = true;
    }
  }

  private readEvent(line: string): void {
    if (!this.usage) this.deltas += countDeltas(line);
    // A `"usage":null` (on every chunk of a stream asked for usage) is the event's own usage, none yet: the
    // search ends there rather than looking further back.
    if (lastUsageObject(line, true) === -1) return;
    const event = parseJson(line.slice(5));
    // Chat and completions chunks have no `type`; of the Responses events, only the last reports usage.
    const holder = typeof event?.type === 'string' ? (FINAL_EVENTS.has(event.type) ? event.response : undefined) : event;
    if (holder?.usage && typeof holder.usage === 'object') this.take(holder.usage, holder.model);
  }

  /** Finds the last `"usage": {...}` in the text and reads that object alone. */
  private readJson(text: string): void {
    const at = lastUsageObject(text);
    if (at === -1) return;
    const end = matchingBrace(text, at);
    if (end === -1) return;
    const usage = parseJson(text.slice(at, end + 1));
    if (usage) this.take(usage, undefined);
  }

  private inflate(body: Buffer): string {
    try {
      const options = { maxOutputLength: MAX_INFLATED };
      if (this.contentEncoding === 'gzip' || this.contentEncoding === 'x-gzip') return gunzipSync(body, options).toString('utf8');
      if (this.contentEncoding === 'deflate') return inflateSync(body, options).toString('utf8');
      if (this.contentEncoding === 'br') return brotliDecompressSync(body, options).toString('utf8');
    } catch {
      // A body we cannot inflate is simply not counted.
    }
    return '';
  }

  private take(raw: JsonObject, model: unknown): void {
    const usage = normaliseUsage(raw);
    if (usage) this.usage = usage;
    if (typeof model === 'string') this.model = model;
  }
}

/** Chat/completions/embeddings name them prompt/completion; the Responses API names them input/output. */
export function normaliseUsage(raw: JsonObject): Usage | undefined {
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  const input = raw.input_tokens ?? raw.prompt_tokens;
  const output = raw.output_tokens ?? raw.completion_tokens;
  if (typeof input !== 'number' && typeof output !== 'number') return undefined;
  return {
    input: count(input),
    output: count(output),
    cachedInput: count((raw.input_tokens_details ?? raw.prompt_tokens_details)?.cached_tokens),
    reasoning: count((raw.output_tokens_details ?? raw.completion_tokens_details)?.reasoning_tokens),
    estimated: false,
  };
}

/**
 * Where the `{` of the last `"usage": {` in the text is, or -1 (JSON whitespace allowed around the colon).
 * `nullEnds`: -1 as well when a `"usage"` key holding `null` comes first (a string, such as a metadata value, does not count).
 */
function lastUsageObject(text: string, nullEnds = false): number {
  for (let at = text.lastIndexOf('"usage"'); at !== -1; at = at === 0 ? -1 : text.lastIndexOf('"usage"', at - 1)) {
    let i = skipSpace(text, at + 7);
    if (text.charCodeAt(i) !== 58 /* : */) continue;
    i = skipSpace(text, i + 1);
    if (text.charCodeAt(i) === 123 /* { */) return i;
    if (nullEnds && text.startsWith('null', i)) return -1;
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  return i;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */ && --depth === 0) return i;
  }
  return -1;
}

function parseJson(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}
