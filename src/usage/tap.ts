import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * Token accounting on the side. The tap sees each response chunk after it has been handed to the client, keeps
 * only what it needs (a bounded line buffer for SSE, a bounded tail for JSON, a small compressed body), and
 * gives up quietly on anything it does not understand. It never alters, delays or holds back a byte.
 */

export interface Usage {
  input: number;
  output: number;
  cachedInput: number;
  reasoning: number;
}

/** An SSE line longer than this (a huge `response.completed`) is skipped rather than held. */
const MAX_SSE_LINE = 1024 * 1024;
/** `usage` sits at the end of a JSON response (chat, completions, embeddings, responses). */
const JSON_TAIL = 16 * 1024;
/** Compressed JSON bodies up to this size are kept and inflated at the end; larger ones are not counted. */
const MAX_COMPRESSED = 256 * 1024;
const MAX_INFLATED = 8 * 1024 * 1024;

const USAGE_OBJECT = /"usage"\s*:\s*\{/g;

type Shape = 'sse' | 'json' | 'compressed' | 'none';

export class UsageTap {
  private readonly shape: Shape;
  private pending = '';
  private skippingLine = false;
  private tail = '';
  private compressed: Buffer[] = [];
  private compressedBytes = 0;
  usage: Usage | undefined;
  model: string | undefined;

  constructor(
    contentType: string | undefined,
    private readonly contentEncoding: string | undefined,
  ) {
    const type = contentType ?? '';
    const encoded = contentEncoding !== undefined && contentEncoding !== 'identity';
    if (type.startsWith('text/event-stream')) this.shape = encoded ? 'none' : 'sse';
    else if (type.startsWith('application/json')) this.shape = encoded ? 'compressed' : 'json';
    else this.shape = 'none';
  }

  write(chunk: Buffer): void {
    switch (this.shape) {
      case 'sse':
        return this.scanSse(chunk.toString('utf8'));
      case 'json':
        this.tail = (this.tail + chunk.toString('utf8')).slice(-JSON_TAIL);
        return;
      case 'compressed':
        this.compressedBytes += chunk.length;
        if (this.compressedBytes <= MAX_COMPRESSED) this.compressed.push(chunk);
        else this.compressed = [];
        return;
    }
  }

  /** Call once at the end of the response body. */
  end(): Usage | undefined {
    if (this.shape === 'json') this.readJson(this.tail);
    if (this.shape === 'compressed' && this.compressed.length > 0) this.readJson(this.inflate(Buffer.concat(this.compressed)));
    this.compressed = [];
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
    USAGE_OBJECT.lastIndex = 0;
    if (!USAGE_OBJECT.test(line)) return;
    const event = parseJson(line.slice(5));
    const holder = event?.response ?? event;
    if (holder?.usage && typeof holder.usage === 'object') this.take(holder.usage, holder.model);
  }

  /** Finds the last `"usage": {...}` in the text and reads that object alone. */
  private readJson(text: string): void {
    let at = -1;
    USAGE_OBJECT.lastIndex = 0;
    for (let m = USAGE_OBJECT.exec(text); m; m = USAGE_OBJECT.exec(text)) at = m.index + m[0].length - 1;
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

  private take(raw: Record<string, any>, model: unknown): void {
    const usage = normaliseUsage(raw);
    if (usage) this.usage = usage;
    if (typeof model === 'string') this.model = model;
  }
}

/** Chat/completions/embeddings name them prompt/completion; the Responses API names them input/output. */
export function normaliseUsage(raw: Record<string, any>): Usage | undefined {
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  const input = raw.input_tokens ?? raw.prompt_tokens;
  const output = raw.output_tokens ?? raw.completion_tokens;
  if (typeof input !== 'number' && typeof output !== 'number') return undefined;
  return {
    input: count(input),
    output: count(output),
    cachedInput: count((raw.input_tokens_details ?? raw.prompt_tokens_details)?.cached_tokens),
    reasoning: count((raw.output_tokens_details ?? raw.completion_tokens_details)?.reasoning_tokens),
  };
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

function parseJson(text: string): Record<string, any> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

const MODEL_FIELD = /"model"\s*:\s*"([^"\\]{1,200})"/;
const STREAM_TRUE = /"stream"\s*:\s*true/;

/**
 * What the request says about itself: its `model` and whether it asks for a stream. A whole small JSON body is
 * parsed; otherwise (a large body's first chunk, a multipart form) a bounded pattern match is the best effort.
 */
export function describeRequest(contentType: string | undefined, body: Buffer | undefined): { model?: string; stream: boolean } {
  if (!body || body.length === 0) return { stream: false };
  const type = contentType ?? '';
  if (type.startsWith('application/json')) {
    const json = parseJson(body.toString('utf8'));
    if (json) return { model: typeof json.model === 'string' ? json.model : undefined, stream: json.stream === true };
  }
  const head = body.subarray(0, 64 * 1024).toString('latin1');
  if (type.startsWith('multipart/form-data')) {
    const field = /name="model"\r\n(?:[^\r\n]*\r\n)*?\r\n([^\r\n]{1,200})\r\n/.exec(head);
    const stream = /name="stream"\r\n(?:[^\r\n]*\r\n)*?\r\ntrue\r\n/.test(head);
    return { model: field?.[1], stream };
  }
  return { model: MODEL_FIELD.exec(head)?.[1], stream: STREAM_TRUE.test(head) };
}
