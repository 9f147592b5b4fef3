import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Pairs of event streams: what the upstream sends when asked for usage (`withUsage`) and what the same answer
 * is without it (`without`), built from the recorded fixtures by serialising each chunk twice, once with the
 * `usage` member in a given place and once without it. The filter must turn the first into the second.
 */

export interface StreamPair {
  name: string;
  withUsage: Buffer;
  without: Buffer;
  usage: Record<string, unknown>;
}

type Chunk = Record<string, unknown>;
type Place = 'first' | 'middle' | 'last' | 'before-obfuscation';

export interface VariantOptions {
  place: Place;
  crlf?: boolean;
  /** `event: <name>` before each data line. */
  eventField?: string;
  /** `: keep-alive` comment events between the chunks. */
  keepAlive?: boolean;
  /** Python's json.dumps spacing (`", "`, `": "`) instead of compact JSON. */
  spaced?: boolean;
  /** `data:{` with no space after the colon. */
  tight?: boolean;
}

const fixtures = join(__dirname, '..', 'fixtures', 'streams');

/** The JSON chunks of a recorded stream, and whether it ended with `[DONE]`. */
export function recordedChunks(name: string): { chunks: Chunk[]; done: boolean } {
  const text = readFileSync(join(fixtures, `${name}.sse`), 'utf8');
  const datas = text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice(6));
  const done = datas[datas.length - 1] === '[DONE]';
  return { chunks: datas.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as Chunk), done };
}

/** A usage-only chunk shaped like the stream's own chunks. */
export function usageChunk(like: Chunk, usage: Record<string, unknown>): Chunk {
  return { id: like.id, object: like.object, created: like.created, model: like.model, choices: [], usage };
}

export function pair(name: string, contentChunks: Chunk[], usage: Record<string, unknown>, options: VariantOptions, done = true): StreamPair {
  const stringify = options.spaced ? spacedJson : (v: unknown) => JSON.stringify(v);
  const eol = options.crlf ? '\r\n' : '\n';
  const event = (data: string) => `${options.eventField ? `event: ${options.eventField}${eol}` : ''}data:${options.tight ? '' : ' '}${data}${eol}${eol}`;
  const keepAlive = options.keepAlive ? `: keep-alive${eol}${eol}` : '';
  let withUsage = '';
  let without = '';
  for (const [i, chunk] of contentChunks.entries()) {
    const obfuscation = options.place === 'before-obfuscation' ? { obfuscation: `pad${'x'.repeat(i % 5)}` } : {};
    withUsage += event(stringify(placeUsage({ ...chunk, ...obfuscation }, options.place))) + keepAlive;
    without += event(stringify({ ...chunk, ...obfuscation })) + keepAlive;
  }
  withUsage += event(stringify(usageChunk(contentChunks[0]!, usage)));
  if (done) {
    withUsage += event('[DONE]');
    without += event('[DONE]');
  }
  return { name, withUsage: Buffer.from(withUsage), without: Buffer.from(without), usage };
}

/** The chunk with `"usage": null` added as its first, a middle, or its last member (or just before `obfuscation`). */
function placeUsage(chunk: Chunk, place: Place): Chunk {
  const entries = Object.entries(chunk);
  let at = entries.length;
  if (place === 'first') at = 0;
  else if (place === 'middle') at = Math.floor(entries.length / 2);
  else if (place === 'before-obfuscation') at = entries.findIndex(([key]) => key === 'obfuscation');
  entries.splice(at, 0, ['usage', null]);
  return Object.fromEntries(entries);
}

/** json.dumps with its default separators. */
function spacedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(spacedJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${spacedJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** Every pair the filter tests run over. */
export function allPairs(): StreamPair[] {
  const chat = recordedChunks('chat-completions');
  const usage = chat.chunks.find((c) => Array.isArray(c.choices) && c.choices.length === 0)!.usage as Record<string, unknown>;
  const content = chat.chunks.filter((c) => c.usage === undefined);
  const completions = recordedChunks('completions');
  const completionsUsage = { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 };
  // Text that looks like the members being removed, inside strings and deeper objects: never touched.
  const lookalikes: Chunk = {
    ...content[1]!,
    choices: [{ index: 0, delta: { content: 'say "usage":null, and {"choices":[],"usage":{"prompt_tokens":1}}', usage: null }, finish_reason: null }],
  };
  const unicode: Chunk = { ...content[2]!, choices: [{ index: 0, delta: { content: 'héllo wörld 😀 \u2028' }, finish_reason: null }] };
  const mixed = [content[0]!, lookalikes, unicode, ...content.slice(1)];
  return [
    pair('chat fixture, usage last', content, usage, { place: 'last' }),
    pair('chat fixture, usage first', content, usage, { place: 'first' }),
    pair('chat fixture, usage in the middle', content, usage, { place: 'middle' }),
    pair('chat, usage before obfuscation (the shape api.openai.com sends)', content, usage, { place: 'before-obfuscation' }),
    pair('chat, \\r\\n line endings', content, usage, { place: 'last', crlf: true }),
    pair('chat, keep-alive comments', content, usage, { place: 'before-obfuscation', keepAlive: true }),
    pair('chat, an event: field on every event', content, usage, { place: 'last', eventField: 'chunk', crlf: true }),
    pair('chat, json.dumps spacing', content, usage, { place: 'middle', spaced: true }),
    pair('chat, data: without a space', content, usage, { place: 'first', tight: true, keepAlive: true }),
    pair('chat, lookalike text and unicode', mixed, usage, { place: 'last' }),
    pair('chat, no [DONE]', content, usage, { place: 'last' }, false),
    pair('completions fixture', completions.chunks, completionsUsage, { place: 'last' }),
    pair('completions, usage first, \\r\\n', completions.chunks, completionsUsage, { place: 'first', crlf: true }),
  ];
}
