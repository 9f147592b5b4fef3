import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageTap } from '../../src/usage/tap';

/**
 * The Responses API reports usage on its last event, whichever way the response ended (`response.completed`,
 * `response.incomplete`, `response.failed`), and on the response object of a non-streamed answer of any status.
 */

const fixtures = join(__dirname, '..', 'fixtures', 'streams');
const recorded = readFileSync(join(fixtures, 'responses.sse'), 'utf8');
const final = readFileSync(join(fixtures, 'responses-final.json'), 'utf8');
const usage = {
  input_tokens: 31,
  input_tokens_details: { cached_tokens: 12 },
  output_tokens: 17,
  output_tokens_details: { reasoning_tokens: 9 },
  total_tokens: 48,
};
const counted = { input: 31, output: 17, cachedInput: 12, reasoning: 9, estimated: false };
const estimate = (input: number, output: number) => ({ input, output, cachedInput: 0, reasoning: 0, estimated: true });

function tapped(contentType: string, body: string, reservation = 0) {
  const tap = new UsageTap(contentType, undefined, reservation);
  const bytes = Buffer.from(body);
  for (let i = 0; i < bytes.length; i += 50) tap.write(bytes.subarray(i, i + 50));
  return { usage: tap.end(), model: tap.model };
}

/** The recorded stream, its last event turned into `type` with the given status and usage. */
function endedAs(type: string, status: string, eventUsage: unknown): string {
  const [head, last] = recorded.trimEnd().split(/\n\n(?=event: response\.completed\n)/);
  const data = JSON.parse(last!.split('\ndata: ')[1]!) as Record<string, any>;
  data.type = type;
  data.response.status = status;
  data.response.usage = eventUsage;
  if (type === 'response.incomplete') data.response.incomplete_details = { reason: 'max_output_tokens' };
  if (type === 'response.failed') data.response.error = { code: 'server_error', message: 'The model failed.' };
  return `${head}\n\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

for (const [type, status] of [
  ['response.completed', 'completed'],
  ['response.incomplete', 'incomplete'],
  ['response.failed', 'failed'],
]) {
  t.test(`streamed: ${type}`, async (t) => {
    const { usage: got, model } = tapped('text/event-stream', endedAs(type!, status!, usage), 500);
    t.same(got, counted, 'the reported figures, not the estimate');
    t.equal(model, 'gpt-4.1-mini-2025-04-14');
  });
  t.test(`non-streamed: status ${status}`, async (t) => {
    const body = JSON.parse(final) as Record<string, any>;
    body.status = status;
    body.usage = usage;
    t.same(tapped('application/json', JSON.stringify(body, null, 2), 500).usage, counted);
  });
}

t.test('the recorded stream as it is', async (t) => {
  t.same(tapped('text/event-stream', recorded).usage, { input: 9, output: 5, cachedInput: 0, reasoning: 0, estimated: false });
});

t.test('a failed response that reports no usage is an estimate', async (t) => {
  t.same(tapped('text/event-stream', endedAs('response.failed', 'failed', null), 120).usage, estimate(120, 5), 'streamed: five text deltas');
  const body = JSON.parse(final) as Record<string, any>;
  body.status = 'failed';
  body.usage = null;
  t.same(tapped('application/json', JSON.stringify(body), 120).usage, estimate(120, 0), 'non-streamed');
});

t.test('usage on an event that is not the last one is not the response usage', async (t) => {
  const data = { type: 'response.output_item.done', item: { type: 'x' }, response: { usage: { input_tokens: 999, output_tokens: 999 } } };
  const odd = `event: response.output_item.done\ndata: ${JSON.stringify(data)}\n\n`;
  t.same(tapped('text/event-stream', odd + endedAs('response.completed', 'completed', usage)).usage, counted);
  t.same(tapped('text/event-stream', odd, 7).usage, estimate(7, 0));
});

t.test('a usage inside an output item is not the response usage', async (t) => {
  const item = { type: 'x_call', usage: { input_tokens: 999, output_tokens: 999 } };
  const failed = JSON.stringify({ type: 'response.failed', response: { output: [item], usage: null } });
  t.same(tapped('text/event-stream', `event: response.failed\ndata: ${failed}\n\n`, 8).usage, estimate(8, 0));
});

t.test('a metadata entry named usage after the usage does not hide it', async (t) => {
  const body = endedAs('response.completed', 'completed', usage).replaceAll('"metadata":{}', '"metadata":{"usage":"nightly batch"}');
  t.notMatch(body, '"metadata":{}', 'every event has the entry, the last one too');
  t.same(tapped('text/event-stream', body).usage, counted);
});
