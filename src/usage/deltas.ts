/**
 * Content deltas in one SSE `data:` payload: the output estimate of a stream that ends without usage (the
 * model streams about one token per delta). Key searches on the text, no parse: inside a JSON string every `"`
 * is escaped, so `"content"` followed by `:` is a key wherever it is found.
 *
 * - Chat: each non-empty `delta.content`, `delta.refusal` and tool call `arguments` (they are all model
 *   output, billed as output tokens); completions: each non-empty `text`.
 * - Responses: one per `response.*.delta` event with a non-empty `delta`, except the deltas that stream what
 *   a tool produced rather than the model, and the transcript that mirrors an audio delta already counted.
 */

const CHAT_KEYS = ['"content"', '"refusal"', '"arguments"', '"text"'];
const NOT_MODEL_OUTPUT = new Set(['response.shell_call_output_content.delta', 'response.audio.transcript.delta']);

export function countDeltas(data: string): number {
  const type = eventType(data);
  if (type !== undefined && type.startsWith('response.')) {
    return type.endsWith('.delta') && !NOT_MODEL_OUTPUT.has(type) && nonEmptyStrings(data, '"delta"', 1) > 0 ? 1 : 0;
  }
  let deltas = 0;
  for (const key of CHAT_KEYS) deltas += nonEmptyStrings(data, key, Infinity);
  return deltas;
}

/** The value of the first `"type"` key when it is a plain string (a Responses event names itself first). */
function eventType(data: string): string | undefined {
  const at = data.indexOf('"type"');
  if (at === -1) return undefined;
  const open = stringValueAt(data, at + 6);
  if (open === -1) return undefined;
  const close = data.indexOf('"', open);
  return close === -1 ? undefined : data.slice(open, close);
}

/** How many times (up to `limit`) `key` holds a non-empty string value. */
function nonEmptyStrings(data: string, key: string, limit: number): number {
  let found = 0;
  for (let at = data.indexOf(key); at !== -1 && found < limit; at = data.indexOf(key, at + key.length)) {
    const open = stringValueAt(data, at + key.length);
    if (open !== -1 && open < data.length && data.charCodeAt(open) !== 0x22 /* " */) found++;
  }
  return found;
}

/** After a key ending at `i`: the index just inside the opening quote of its string value, or -1. */
function stringValueAt(data: string, i: number): number {
  i = skipBlank(data, i);
  if (data.charCodeAt(i) !== 0x3a /* : */) return -1;
  i = skipBlank(data, i + 1);
  return data.charCodeAt(i) === 0x22 ? i + 1 : -1;
}

function skipBlank(data: string, i: number): number {
  for (let c = data.charCodeAt(i); c === 0x20 || c === 0x09; c = data.charCodeAt(++i));
  return i;
}
