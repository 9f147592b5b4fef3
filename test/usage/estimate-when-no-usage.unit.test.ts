import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageTap, type Usage } from '../../src/usage/tap';
import { countDeltas } from '../../src/usage/deltas';

/**
 * A response that ends without usage is counted as an estimate: input = the reservation the request was admitted
 * with, output = the content deltas that were streamed.
 */

const fixtures = join(__dirname, '..', 'fixtures', 'streams');
const recorded = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const estimate = (input: number, output: number): Usage => ({ input, output, cachedInput: 0, reasoning: 0, estimated: true });

function tapped(body: string | Buffer, reservation: number, contentType = 'text/event-stream', encoding?: string): Usage | undefined {
  const tap = new UsageTap(contentType, encoding, reservation);
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  for (let i = 0; i < bytes.length; i += 64) tap.write(bytes.subarray(i, i + 64));
  return tap.end();
}

/** The events of a recorded stream before the one that carries usage. */
const beforeUsage = (name: string, last: string) => recorded(name).split(last)[0]!;

t.test('chat stream cut before its usage chunk: five text deltas (the role chunk has none)', async (t) => {
  const usageChunk = recorded('chat-completions.sse')
    .split('\n\n')
    .find((event) => event.includes('"choices":[]'))!;
  t.same(tapped(beforeUsage('chat-completions.sse', usageChunk), 250), estimate(250, 5));
});

t.test('completions stream (it reports no usage here): four text deltas', async (t) => {
  t.same(tapped(recorded('completions.sse'), 10), estimate(10, 4));
});

t.test('responses stream cut before response.completed: five output_text deltas', async (t) => {
  t.same(tapped(beforeUsage('responses.sse', 'event: response.completed'), 33), estimate(33, 5));
});

t.test('a chat stream cut anywhere: the estimate only grows, and the full stream is exact', async (t) => {
  const body = Buffer.from(recorded('chat-completions.sse'));
  let previous = 0;
  let grew = true;
  for (let at = 0; at < body.length; at++) {
    const usage = tapped(body.subarray(0, at), 40)!;
    if (usage.estimated ? usage.output < previous || usage.input !== 40 : usage.output !== 5) grew = false;
    previous = usage.output;
  }
  t.ok(grew);
  t.same(tapped(body, 40), { input: 9, output: 5, cachedInput: 0, reasoning: 0, estimated: false });
});

t.test('what counts as a delta', async (t) => {
  const chat = (delta: object) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta }], usage: null })}`;
  t.equal(countDeltas(chat({ role: 'assistant', content: '', refusal: null })), 0, 'the role chunk');
  t.equal(countDeltas(chat({ content: 'Hi' })), 1);
  t.equal(countDeltas(chat({ content: 'say \\"content\\":\\"x\\"' })), 1, 'lookalike text inside the content');
  t.equal(countDeltas(chat({ refusal: 'I cannot' })), 1, 'a refusal delta');
  t.equal(countDeltas(chat({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] })), 0, 'a tool call opening');
  t.equal(countDeltas(chat({ tool_calls: [{ index: 0, function: { arguments: '{"a' } }] })), 1, 'tool call arguments');
  t.equal(countDeltas('data: {"choices": [{"delta": {"content": "x"}}, {"delta": {"content": "y"}}]}'), 2, 'spaced JSON, two choices');
  t.equal(countDeltas('data: {"object":"text_completion","choices":[{"text":" upon","index":0}]}'), 1, 'a completions chunk');
  const responses = (type: string, delta: string) => `data: ${JSON.stringify({ type, sequence_number: 4, item_id: 'i', delta })}`;
  t.equal(countDeltas(responses('response.output_text.delta', 'Hi')), 1);
  t.equal(countDeltas(responses('response.refusal.delta', 'No')), 1);
  t.equal(countDeltas(responses('response.function_call_arguments.delta', '{"')), 1);
  t.equal(countDeltas(responses('response.reasoning_summary_text.delta', 'Think')), 1);
  t.equal(countDeltas(responses('response.output_text.delta', '')), 0, 'an empty delta');
  t.equal(countDeltas(responses('response.shell_call_output_content.delta', 'ls output')), 0, 'tool output, not model output');
  t.equal(countDeltas('data: {"type":"response.output_text.done","text":"Hello from the fake upstream."}'), 0, 'the done event repeats the text');
  t.equal(countDeltas('data: {"type":"response.completed","response":{"output":[{"content":[{"text":"Hello"}]}]}}'), 0);
});

t.test('nothing to estimate: no answer at all', async (t) => {
  t.equal(tapped('data: [DONE]\n\n', 0), undefined, 'no reservation, no deltas');
  t.equal(tapped(Buffer.alloc(100, 1), 0, 'audio/mpeg'), undefined);
});

t.test('bodies the tap cannot read still count the reservation', async (t) => {
  t.same(tapped(Buffer.from('\x1f\x8b not really gzip'), 12, 'text/event-stream', 'gzip'), estimate(12, 0), 'a compressed stream');
  t.same(tapped('{"id":"chatcmpl-1","choices":[{"message":{"content":"cut he', 12, 'application/json'), estimate(12, 0), 'a JSON body cut short');
});

t.test('end() is called once per outcome but answers the same every time', async (t) => {
  const tap = new UsageTap('text/event-stream', undefined, 5);
  tap.write(Buffer.from('data: {"choices":[{"delta":{"content":"a"}}]}\n\n'));
  const first = tap.end();
  tap.write(Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n'));
  t.same(first, estimate(5, 1));
  t.equal(tap.end(), first, 'bytes after the end are not read');
});

t.test('a last line without its newline is read', async (t) => {
  const last = 'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}';
  t.same(tapped(last, 9), { input: 3, output: 4, cachedInput: 0, reasoning: 0, estimated: false });
});
