// Budgets and the model allowlist through the real proxy on Redis: a day's tokens and a day's money used up give
// 429 budget_exceeded with x-should-retry: false and the time to the next UTC midnight; usage settles to what the
// upstream reported; allowedModels refuses other models in JSON and multipart bodies with 403, nothing upstream.
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startRedis } from '../helpers/redis-server';
import { startReplicas, type Replicas } from '../helpers/replicas';

/** A request is settled just after its response has gone out: the next one waits until /limits shows it. */
async function settled(r: Replicas, client: string, limit: string, used: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const doc = (await request(`${r.proxies[0]!.adminUrl}/limits`)).json();
    if (doc.clients[client]?.[limit]?.used === used) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${client}'s ${limit} never reached ${used}`);
}

const secondsToMidnight = () => {
  const now = new Date();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.ceil((midnight - now.getTime()) / 1000);
};

t.test('a day of tokens, shared by two replicas', async (t) => {
  const redis = await startRedis(t);
  const clients = '  - { name: alice, key: { env: ALICE_KEY }, limits: { tokensPerDay: 250 } }\n  - { name: bob, key: { env: BOB_KEY } }';
  const r = await startReplicas(t, { clients, redis, count: 2 });
  r.up.handle = handlers.json(200, { choices: [], usage: { prompt_tokens: 60, completion_tokens: 40, total_tokens: 100 } });
  t.equal((await r.call(0, r.keys.alice)).status, 200);
  await settled(r, 'alice', 'tokensPerDay', 100);
  t.equal((await r.call(1, r.keys.alice)).status, 200);
  await settled(r, 'alice', 'tokensPerDay', 200);
  t.equal((await r.call(0, r.keys.alice)).status, 200, '200 of 250 used: room for the reservation, admitted');
  await settled(r, 'alice', 'tokensPerDay', 300);
  const refused = await r.call(1, r.keys.alice);
  t.equal(refused.status, 429);
  t.match(refused.json(), { error: { code: 'budget_exceeded', message: /tokensPerDay/ } });
  t.equal(refused.headers['x-should-retry'], 'false', 'the SDKs do not retry a spent budget');
  t.ok(Math.abs(Number(refused.headers['retry-after']) - secondsToMidnight()) <= 2, 'retry-after is the time to the reset');
  const doc = (await request(`${r.proxies[0]!.adminUrl}/limits`)).json();
  t.match(doc.clients.alice.tokensPerDay, { limit: 250, used: 300, remaining: 0 });
  t.match(doc.clients.alice.tokensPerDay.resetsAt, /T00:00:00Z$/);
});

t.test('a day of money, priced', async (t) => {
  const redis = await startRedis(t);
  const clients = '  - { name: alice, key: { env: ALICE_KEY }, limits: { usdPerDay: 0.001 } }\n  - { name: bob, key: { env: BOB_KEY } }';
  const limits = '  prices:\n    gpt-4.1-mini: { input: 1, output: 10 }';
  const r = await startReplicas(t, { clients, redis, limits, count: 2 });
  // 100 input at $1/1M + 50 output at $10/1M = $0.0006 a request.
  r.up.handle = handlers.json(200, { choices: [], usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 } });
  t.equal((await r.call(0, r.keys.alice)).status, 200);
  await settled(r, 'alice', 'usdPerDay', 0.0006);
  t.equal((await r.call(1, r.keys.alice)).status, 200, '$0.0006 of $0.001 used: admitted');
  await settled(r, 'alice', 'usdPerDay', 0.0012);
  const refused = await r.call(0, r.keys.alice);
  t.match(refused.json(), { error: { code: 'budget_exceeded', message: /usdPerDay/ } });
  const line = await r.proxies[0]!.waitForLog((l) => l.event === 'request' && l.status === 200);
  t.equal(line.costUsd, 0.0006, 'the log line carries what it cost');
  const metrics = (await request(`${r.proxies[0]!.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_cost_usd_total\{client="alice",model="gpt-4\.1-mini"\} 0\.0006$/m);
});

t.test('allowedModels: JSON and multipart bodies, nothing upstream when refused', async (t) => {
  const clients = '  - { name: alice, key: { env: ALICE_KEY }, allowedModels: [gpt-4.1-mini, whisper-1] }\n  - { name: bob, key: { env: BOB_KEY } }';
  const r = await startReplicas(t, { clients, count: 1 });
  t.equal((await r.call(0, r.keys.alice, '{"model":"gpt-4.1-mini","messages":[]}')).status, 200);
  const refused = await r.call(0, r.keys.alice, '{"messages":[],"model":"gpt-5"}');
  t.equal(refused.status, 403);
  t.match(refused.json(), { error: { code: 'model_not_allowed' } });
  t.equal((await r.call(0, r.keys.alice, '{"messages":[]}')).status, 403, 'a body that names no model');
  t.equal((await r.call(0, r.keys.bob, '{"model":"gpt-5","messages":[]}')).status, 200, 'bob may use any');
  const form = (model: string) =>
    `--b\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\nContent-Type: audio/mpeg\r\n\r\n${'x'.repeat(2000)}\r\n--b--\r\n`;
  const upload = (model: string) =>
    request(`${r.proxies[0]!.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { 'x-api-key': r.keys.alice, 'content-type': 'multipart/form-data; boundary=b' },
      body: form(model),
    });
  t.equal((await upload('whisper-1')).status, 200, 'an allowed model in a form field');
  t.equal((await upload('gpt-4o-transcribe')).status, 403, 'another model in a form field');
  const large = `{"model":"gpt-5","messages":[{"role":"user","content":"${'y'.repeat(2 * 1024 * 1024)}"}]}`;
  t.equal((await r.call(0, r.keys.alice, large)).status, 403, 'a body over 1 MiB: its start is read');
  const before = r.up.requests.length;
  t.equal((await r.call(0, r.keys.alice, large.replace('gpt-5', 'gpt-4.1-mini'))).status, 200, 'and passes whole when allowed');
  t.equal(r.up.requests.length, before + 1);
  t.equal(r.up.lastRequest()!.bodyLength, Buffer.byteLength(large) - 'gpt-5'.length + 'gpt-4.1-mini'.length, 'every byte of it');
  t.equal(r.up.requests.filter((q) => q.body.includes('gpt-5')).length, 1, "bob's alone: no refused request reached the upstream");
});
