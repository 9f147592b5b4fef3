import t from 'tap';
import { gzipSync } from 'node:zlib';
import { UsageTap } from '../../src/usage/tap';

/** Feeds a body to the tap in chunks of `size` bytes, the way a socket would cut it. */
function tapped(contentType: string, body: Buffer | string, size = 7, encoding?: string) {
  const tap = new UsageTap(contentType, encoding);
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  for (let i = 0; i < bytes.length; i += size) tap.write(bytes.subarray(i, i + size));
  return { usage: tap.end(), model: tap.model };
}

const chatJson = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4.1-mini-2025-04-14',
  choices: [{ index: 0, message: { role: 'assistant', content: 'the "usage": {"prompt_tokens": 999} in text' } }],
  usage: {
    prompt_tokens: 12,
    completion_tokens: 34,
    total_tokens: 46,
    prompt_tokens_details: { cached_tokens: 5 },
    completion_tokens_details: { reasoning_tokens: 7 },
  },
  system_fingerprint: 'fp_1',
});

t.test('plain JSON chat completion: exact counts, whatever the chunking', async (t) => {
  for (const size of [1, 7, 64, 100000]) {
    t.same(tapped('application/json', chatJson, size).usage, { input: 12, output: 34, cachedInput: 5, reasoning: 7, estimated: false }, `chunks of ${size}`);
  }
});

t.test('gzip-compressed JSON is inflated on the side', async (t) => {
  t.same(tapped('application/json', gzipSync(chatJson), 5, 'gzip').usage, { input: 12, output: 34, cachedInput: 5, reasoning: 7, estimated: false });
  t.equal(tapped('application/json', Buffer.from('not gzip'), 5, 'gzip').usage, undefined, 'a broken body is not counted');
});

t.test('embeddings usage (prompt tokens only)', async (t) => {
  const body = JSON.stringify({
    object: 'list',
    data: [{ embedding: new Array(3072).fill(0.0123) }],
    model: 'text-embedding-3-small',
    usage: { prompt_tokens: 8, total_tokens: 8 },
  });
  t.same(tapped('application/json', body, 4096).usage, { input: 8, output: 0, cachedInput: 0, reasoning: 0, estimated: false });
});

t.test('chat SSE: the final chunk with include_usage', async (t) => {
  const chunks = [
    { choices: [{ delta: { content: 'Hi' } }], usage: null },
    { choices: [{ delta: { content: ' "usage":{"prompt_tokens":1}' } }], usage: null },
    { choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 }, model: 'gpt-4.1-mini' },
  ];
  const body = `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`;
  for (const size of [1, 3, 50, 10000])
    t.same(tapped('text/event-stream', body, size).usage, { input: 9, output: 3, cachedInput: 0, reasoning: 0, estimated: false }, `chunks of ${size}`);
  t.equal(tapped('text/event-stream', body).model, 'gpt-4.1-mini');
});

t.test('responses SSE: response.completed', async (t) => {
  const completed = {
    type: 'response.completed',
    response: {
      id: 'resp_1',
      model: 'gpt-4.1',
      output: [],
      usage: {
        input_tokens: 20,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 30,
        output_tokens_details: { reasoning_tokens: 11 },
        total_tokens: 50,
      },
    },
  };
  const body = `event: response.created\ndata: {"type":"response.created","response":{"usage":null}}\n\nevent: response.completed\r\ndata: ${JSON.stringify(completed)}\r\n\r\n`;
  t.same(tapped('text/event-stream; charset=utf-8', body, 13).usage, { input: 20, output: 30, cachedInput: 4, reasoning: 11, estimated: false });
});

t.test('malformed, huge and foreign bodies are given up on quietly', async (t) => {
  t.equal(tapped('text/event-stream', 'data: {"usage":{broken\n\n').usage, undefined);
  t.equal(tapped('text/event-stream', `data: ${'x'.repeat(2 * 1024 * 1024)}\n\n`, 65536).usage, undefined);
  const afterHuge = `data: ${'x'.repeat(2 * 1024 * 1024)}\ndata: {"usage":{"prompt_tokens":1,"completion_tokens":2}}\n\n`;
  t.same(
    tapped('text/event-stream', afterHuge, 65536).usage,
    { input: 1, output: 2, cachedInput: 0, reasoning: 0, estimated: false },
    'recovers after a skipped line',
  );
  t.equal(tapped('application/json', '{"usage": {"prompt_tokens": 3').usage, undefined, 'truncated JSON');
  t.equal(tapped('audio/mpeg', Buffer.alloc(1000, 1)).usage, undefined);
  t.equal(tapped('application/json', '{"error":{"message":"bad"}}').usage, undefined);
});
