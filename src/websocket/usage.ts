/**
 * Usage from a server event of a WebSocket session: Realtime's `response.done`, and the Responses API's
 * `response.completed`, `response.incomplete` and `response.failed`. Most server messages are deltas (audio
 * deltas are large), so a message is parsed only when the name of one of these events is in it.
 */

export interface EventUsage {
  input: number;
  output: number;
  cachedInput: number;
  reasoning: number;
}

export interface UsageEvent {
  readonly type: string;
  readonly usage: EventUsage;
  readonly model: string | undefined;
}

const COUNTED = new Set(['response.done', 'response.completed', 'response.incomplete', 'response.failed']);
const MARK = '"response.';

/** The usage an event carries, or undefined for any other message (or one that is not JSON). */
export function usageOfEvent(text: string): UsageEvent | undefined {
  if (!namesCountedEvent(text)) return undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the server's JSON event is read member by member, each value checked before use.
  let event: any;
  try {
    event = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof event?.type !== 'string' || !COUNTED.has(event.type)) return undefined;
  const response = event.response;
  const usage = response?.usage;
  if (usage === null || typeof usage !== 'object') return undefined;
  // Realtime names the details input_token_details; the Responses API, input_tokens_details.
  const inputDetails = usage.input_tokens_details ?? usage.input_token_details;
  const outputDetails = usage.output_tokens_details ?? usage.output_token_details;
  return Object.freeze({
    type: event.type as string,
    usage: Object.freeze({
      input: count(usage.input_tokens),
      output: count(usage.output_tokens),
      cachedInput: count(inputDetails?.cached_tokens),
      reasoning: count(outputDetails?.reasoning_tokens),
    }),
    model: typeof response.model === 'string' ? response.model : undefined,
  });
}

function namesCountedEvent(text: string): boolean {
  for (let at = text.indexOf(MARK); at !== -1; at = text.indexOf(MARK, at + MARK.length)) {
    const rest = at + MARK.length;
    if (text.startsWith('done"', rest) || text.startsWith('completed"', rest) || text.startsWith('incomplete"', rest) || text.startsWith('failed"', rest)) {
      return true;
    }
  }
  return false;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}
