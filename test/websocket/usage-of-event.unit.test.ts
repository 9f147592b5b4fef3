// Usage from the events that carry it: Realtime's response.done (input_token_details), the Responses API's
// response.completed / incomplete / failed (input_tokens_details, reasoning); every other message is left alone.
import t from 'tap';
import { usageOfEvent } from '../../src/websocket/usage';

t.test('Realtime response.done', async (t) => {
  const event = {
    type: 'response.done',
    event_id: 'event_9',
    response: {
      id: 'resp_1',
      status: 'completed',
      usage: { total_tokens: 60, input_tokens: 40, output_tokens: 20, input_token_details: { cached_tokens: 32, text_tokens: 8, audio_tokens: 32 } },
    },
  };
  t.same(usageOfEvent(JSON.stringify(event)), { type: 'response.done', usage: { input: 40, output: 20, cachedInput: 32, reasoning: 0 }, model: undefined });
});

t.test('Responses API events, with the model', async (t) => {
  for (const type of ['response.completed', 'response.incomplete', 'response.failed']) {
    const event = {
      type,
      sequence_number: 12,
      response: {
        id: 'resp_2',
        model: 'gpt-5-mini-2026-01-01',
        usage: { input_tokens: 100, input_tokens_details: { cached_tokens: 50 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 10 } },
      },
    };
    t.same(usageOfEvent(JSON.stringify(event)), { type, usage: { input: 100, output: 30, cachedInput: 50, reasoning: 10 }, model: 'gpt-5-mini-2026-01-01' });
  }
});

t.test('everything else', async (t) => {
  const others = [
    '{"type":"response.output_audio.delta","delta":"AAAA"}',
    '{"type":"response.output_text.delta","delta":"the word \\"response.done\\" in a delta"}',
    '{"type":"response.created","response":{"usage":null}}',
    '{"type":"response.done","response":{"status":"cancelled","usage":null}}',
    '{"type":"response.done"',
    'not json "response.done"',
    '',
  ];
  for (const text of others) t.equal(usageOfEvent(text), undefined, text);
  t.same(
    usageOfEvent('{"type":"response.done","response":{"usage":{"input_tokens":"7","output_tokens":-1}}}')?.usage,
    {
      input: 0,
      output: 0,
      cachedInput: 0,
      reasoning: 0,
    },
    'numbers that are not counts count as 0',
  );
});
