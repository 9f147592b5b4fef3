import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzip, handlers, type Handler } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startSingleTenant, noKeyLeak, type Stack } from '../helpers/stack';
import { tempDir } from '../helpers/tmp';

/**
 * Token usage is read on the side from every response shape and counted exactly, per client and bounded
 * model, in /metrics and the access log, while the bytes reach the client unchanged.
 */

const chatUsage = {
  prompt_tokens: 11,
  completion_tokens: 22,
  total_tokens: 33,
  prompt_tokens_details: { cached_tokens: 4 },
  completion_tokens_details: { reasoning_tokens: 5 },
};
const chatJson = JSON.stringify({
  id: 'c1',
  object: 'chat.completion',
  model: 'gpt-4.1-mini-2025-04-14',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
  usage: chatUsage,
});
const chatSse = [
  `data: ${JSON.stringify({ choices: [{ delta: { content: 'Hel' } }], usage: null })}\n\n`,
  `data: ${JSON.stringify({ choices: [{ delta: { content: 'lo' } }], usage: null })}\n\n`,
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } })}\n\n`,
  'data: [DONE]\n\n',
];
const responsesSse = [
  'event: response.created\ndata: {"type":"response.created","response":{"usage":null}}\n\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"Hi"}\n\n',
  `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: { model: 'gpt-4.1', usage: { input_tokens: 100, input_tokens_details: { cached_tokens: 60 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 30 }, total_tokens: 140 } } })}\n\n`,
];

interface Case {
  name: string;
  path: string;
  model: string;
  label: string;
  handler: Handler;
  tokens: { input: number; output: number; cachedInput: number; reasoning: number };
}

const cases: Case[] = [
  {
    name: 'plain JSON chat',
    path: '/v1/chat/completions',
    model: 'gpt-4.1-mini',
    label: 'gpt-4.1-mini',
    handler: handlers.json(200, JSON.parse(chatJson)),
    tokens: { input: 11, output: 22, cachedInput: 4, reasoning: 5 },
  },
  {
    name: 'gzip JSON chat',
    path: '/v1/chat/completions',
    model: 'gpt-4.1',
    label: 'gpt-4.1',
    handler: handlers.gzipJson(gzip(chatJson)),
    tokens: { input: 11, output: 22, cachedInput: 4, reasoning: 5 },
  },
  {
    name: 'chat SSE with include_usage',
    path: '/v1/chat/completions',
    model: 'gpt-4.1-mini',
    label: 'gpt-4.1-mini',
    handler: handlers.sse(chatSse),
    tokens: { input: 7, output: 2, cachedInput: 0, reasoning: 0 },
  },
  {
    name: 'responses SSE',
    path: '/v1/responses',
    model: 'gpt-4.1',
    label: 'gpt-4.1',
    handler: handlers.sse(responsesSse),
    tokens: { input: 100, output: 40, cachedInput: 60, reasoning: 30 },
  },
  // Not in models: labelled by its name all the same, as one of the first 50 distinct names seen.
  {
    name: 'embeddings (default fake answer)',
    path: '/v1/embeddings',
    model: 'text-embedding-3-large',
    label: 'text-embedding-3-large',
    handler: handlers.defaults(),
    tokens: { input: 3, output: 0, cachedInput: 0, reasoning: 0 },
  },
];

async function stackWithModels(t: Test): Promise<Stack> {
  const dir = tempDir(t);
  const configPath = join(dir, 'proxy.yaml');
  writeFileSync(configPath, 'models: [gpt-4.1-mini, gpt-4.1]\n');
  return startSingleTenant(t, { env: { PROXY_CONFIG: configPath } });
}

t.test('each response shape is counted exactly, and the client gets the upstream bytes unchanged', async (t) => {
  const stack = await stackWithModels(t);
  const totals = new Map<string, number>();
  for (const [i, c] of cases.entries()) {
    stack.up.handle = c.handler;
    const body = JSON.stringify({ model: c.model, input: 'x', messages: [], stream: c.handler !== handlers.defaults() });
    const res = await request(`${stack.proxy.url}${c.path}`, { method: 'POST', headers: { ...stack.auth, 'content-type': 'application/json' }, body });
    t.equal(res.status, 200, `${c.name}: 200`);
    await stack.proxy.waitForLog(() => stack.proxy.logs.filter((l) => l.event === 'request').length > i);
    const line = stack.proxy.logs.filter((l) => l.event === 'request')[i]!;
    t.equal(line.model, c.model, `${c.name}: the log line names the model`);
    t.same(line.usage, { ...c.tokens, estimated: false }, `${c.name}: the log line has the exact counts`);
    for (const [kind, n] of Object.entries({
      input: c.tokens.input,
      output: c.tokens.output,
      cached_input: c.tokens.cachedInput,
      reasoning: c.tokens.reasoning,
    })) {
      const key = `${c.label}/${kind}`;
      totals.set(key, (totals.get(key) ?? 0) + n);
    }
  }
  const metrics = (await request(`${stack.proxy.adminUrl}/metrics`)).text;
  for (const [key, total] of totals) {
    const [model, kind] = key.split('/');
    const series = new RegExp(
      `^openai_proxy_tokens_total\\{(?=[^}]*client="default")(?=[^}]*model="${model!.replace(/\./g, '\\.')}")(?=[^}]*kind="${kind}")[^}]*\\} ${total}$`,
      'm',
    );
    t.match(metrics, series, `tokens_total{model=${model},kind=${kind}} = ${total}`);
  }
  t.match(
    metrics,
    /^openai_proxy_requests_total\{(?=[^}]*model="text-embedding-3-large")(?=[^}]*endpoint="\/v1\/embeddings")[^}]*\} 1$/m,
    'an unlisted model seen early is labelled by its name',
  );
  await noKeyLeak(t, stack);
});

t.test('a response the tap cannot read is proxied byte for byte and counted as an estimate', async (t) => {
  const stack = await stackWithModels(t);
  const huge = `data: ${'x'.repeat(3 * 1024 * 1024)}\n\ndata: {"usage":{broken\n\n`;
  const malformed = Buffer.from(`{"usage": {"prompt_tokens": 5, "completion_tokens": ${'9'.repeat(5000)}`);
  for (const [name, handler, expected] of [
    ['huge SSE line then broken JSON', handlers.sse([huge]), Buffer.from(huge)],
    [
      'truncated JSON',
      ((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(malformed);
      }) as Handler,
      malformed,
    ],
    [
      'gzip that is not gzip',
      ((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(malformed);
      }) as Handler,
      malformed,
    ],
  ] as const) {
    stack.up.handle = handler;
    const res = await request(`${stack.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...stack.auth, 'content-type': 'application/json' },
      body: '{"model":"gpt-4.1"}',
    });
    t.equal(res.status, 200, name);
    t.ok(res.body.equals(expected), `${name}: the body arrived byte for byte`);
  }
  const metrics = (await request(`${stack.proxy.adminUrl}/metrics`)).text;
  // No usage in any of them: each counts its body's size in tokens, ceil(19 / 4) = 5, and no output.
  for (const name of ['openai_proxy_tokens_total', 'openai_proxy_tokens_estimated_total']) {
    t.match(metrics, new RegExp(`^${name}\\{(?=[^}]*model="gpt-4\\.1")(?=[^}]*kind="input")[^}]*\\} 15$`, 'm'), `${name}: 3 x 5 input tokens`);
    t.match(metrics, new RegExp(`^${name}\\{(?=[^}]*model="gpt-4\\.1")(?=[^}]*kind="output")[^}]*\\} 0$`, 'm'), `${name}: no output`);
  }
  const lines = stack.proxy.logs.filter((l) => l.event === 'request');
  t.equal(lines.length, 3);
  for (const line of lines) t.same(line.usage, { input: 5, output: 0, cachedInput: 0, reasoning: 0, estimated: true }, 'logged as an estimate');
});
