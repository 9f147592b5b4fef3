import { MemberCursor, OPEN_BRACE, skipSpace, spells } from './json-scan';

/**
 * The request half of exact stream counting: a streaming chat or completions request that did not ask for usage
 * goes upstream asking for it. Only the bytes that ask are added or changed; every other byte (key order,
 * spacing, escapes, number spellings, duplicate keys) goes as the client sent it, so the upstream reads the
 * same request plus `stream_options.include_usage: true`.
 *
 * `include_usage: false` (or `null`) is flipped to `true`: the client asked for no usage chunk, and the
 * response filter sees that it gets none, byte for byte, while the proxy still learns the exact counts.
 */

/** Larger bodies are sent as they are (the proxy reads request bodies whole up to this size). */
export const MAX_REWRITE_BYTES = 1024 * 1024;

export interface UsageRewrite {
  /** The body to send upstream. */
  body: Buffer;
  /** body.length minus the original length: what the content-length grows by (-1 when `false` became `true`). */
  lengthChange: number;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * The body to send instead, or undefined to send it untouched: not one JSON object, `stream` not `true`, usage
 * already asked for, a `stream_options` or `include_usage` of a type the upstream should judge, or too large.
 * `parsed`, when the caller already has the body's JSON.parse result, saves parsing it again.
 */
export function includeUsage(body: Buffer, parsed?: unknown): UsageRewrite | undefined {
  if (body.length === 0 || body.length > MAX_REWRITE_BYTES) return undefined;
  const request = parsed === undefined ? parseObject(body) : asObject(parsed);
  if (request?.stream !== true || !wantsRewrite(request.stream_options)) return undefined;
  const edit = findEdit(body.toString('latin1'));
  if (!edit) return undefined;
  const insert = Buffer.from(edit.text, 'latin1');
  const rewritten = Buffer.concat([body.subarray(0, edit.start), insert, body.subarray(edit.end)]);
  return { body: rewritten, lengthChange: rewritten.length - body.length };
}

/** Whether the effective (last) `stream_options` leaves usage unasked in a way we can fill in. */
function wantsRewrite(options: unknown): boolean {
  if (options === undefined || options === null) return true;
  const object = asObject(options);
  if (!object) return false;
  const asked = object.include_usage;
  return asked === undefined || asked === null || asked === false;
}

/**
 * Where the bytes go. JSON.parse keeps the last of duplicate keys, and so does the upstream's parser: the edit
 * goes into the last `stream_options` and the last `include_usage`, the ones that take effect.
 */
function findEdit(text: string): Edit | undefined {
  const end = text.length;
  const open = skipSpace(text, 0, end);
  if (text.charCodeAt(open) !== OPEN_BRACE) return undefined;
  const top = new MemberCursor().reset(text, open, end);
  let lastEnd = -1;
  let options: { start: number; end: number } | undefined;
  while (top.next()) {
    lastEnd = top.valueEnd;
    if (top.keyIs('stream_options')) options = { start: top.valueStart, end: top.valueEnd };
  }
  if (top.closeEnd === -1 || lastEnd === -1) return undefined;
  if (!options) return { start: lastEnd, end: lastEnd, text: ',"stream_options":{"include_usage":true}' };
  if (spells(text, options.start, options.end, 'null')) return { start: options.start, end: options.end, text: '{"include_usage":true}' };
  return insideOptions(text, options.start, options.end);
}

function insideOptions(text: string, open: number, end: number): Edit | undefined {
  if (text.charCodeAt(open) !== OPEN_BRACE) return undefined;
  const inner = new MemberCursor().reset(text, open, end);
  let lastEnd = -1;
  let asked: Edit | undefined;
  while (inner.next()) {
    lastEnd = inner.valueEnd;
    if (inner.keyIs('include_usage')) asked = { start: inner.valueStart, end: inner.valueEnd, text: 'true' };
  }
  if (inner.closeEnd === -1) return undefined;
  if (asked) return asked;
  if (lastEnd === -1) return { start: open + 1, end: open + 1, text: '"include_usage":true' };
  return { start: lastEnd, end: lastEnd, text: ',"include_usage":true' };
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    return asObject(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
