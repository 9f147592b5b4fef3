/**
 * Content deltas in one SSE `data:` line: the output estimate of a stream that ends without usage (the model
 * streams about one token per delta). Key searches on the line, no parse: inside a JSON string every `"` is
 * escaped, so a `"content"` followed by `:` is a key. Every line of every stream passes here, so each search
 * looks for a stretch of its key that starts with an uncommon letter (V8 scans for the first character).
 *
 * - Chat: each non-empty `delta.content`, `delta.refusal` and tool call `arguments` (all model output, billed
 *   as output tokens); completions: each non-empty `text`.
 * - Responses (a data line that opens with `{"type":"response.`, as OpenAI writes them): one per
 *   `response.*.delta` event with a non-empty `delta`, except the deltas of what a tool produced rather than
 *   the model, and the transcript that mirrors an audio delta already counted.
 */

interface Key {
  /** The key with its quotes. */
  key: string;
  /** The stretch of it searched for. */
  needle: string;
}

const key = (name: string, needle: string): Key => ({ key: `"${name}"`, needle });
const CHAT_KEYS = [key('content', 'ontent"'), key('refusal', 'fusal"'), key('arguments', 'guments"'), key('text', 'xt"')];
const DELTA = key('delta', 'lta"');
const RESPONSES_EVENT = '{"type":"response.';
const NOT_MODEL_OUTPUT = ['response.shell_call_output_content.delta"', 'response.audio.transcript.delta"'];

export function countDeltas(line: string): number {
  const data = line.charCodeAt(5) === 0x20 /* space */ ? 6 : 5;
  if (line.startsWith(RESPONSES_EVENT, data)) return responsesDelta(line, data + 9);
  // A chunk's deltas are of one kind (text, a refusal, or tool arguments): the first kind found ends the search.
  for (const k of CHAT_KEYS) {
    const deltas = nonEmptyStrings(line, k, Infinity);
    if (deltas > 0) return deltas;
  }
  return 0;
}

/** `type` is the index of the event type's first character. */
function responsesDelta(line: string, type: number): number {
  const typeEnd = line.indexOf('"', type);
  if (typeEnd === -1 || !line.startsWith('.delta"', typeEnd - 6)) return 0;
  for (const name of NOT_MODEL_OUTPUT) if (line.startsWith(name, type)) return 0;
  return nonEmptyStrings(line, DELTA, 1);
}

/** How many times (up to `limit`) the key holds a non-empty string value. */
function nonEmptyStrings(line: string, { key, needle }: Key, limit: number): number {
  const back = key.length - needle.length;
  let found = 0;
  for (let at = line.indexOf(needle, back); at !== -1 && found < limit; at = line.indexOf(needle, at + needle.length)) {
    if (!line.startsWith(key, at - back)) continue;
    const value = stringValueAt(line, at + needle.length);
    if (value !== -1 && value < line.length && line.charCodeAt(value) !== 0x22 /* " */) found++;
  }
  return found;
}

/** After a key ending at `i`: the index just inside the opening quote of its string value, or -1. */
function stringValueAt(line: string, i: number): number {
  i = skipBlank(line, i);
  if (line.charCodeAt(i) !== 0x3a /* : */) return -1;
  i = skipBlank(line, i + 1);
  return line.charCodeAt(i) === 0x22 ? i + 1 : -1;
}

function skipBlank(line: string, i: number): number {
  for (let c = line.charCodeAt(i); c === 0x20 || c === 0x09; c = line.charCodeAt(++i));
  return i;
}
