import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { handlers, sleep, startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

/** Per-client limits (in memory: no store) answer 429 with retry-after, send nothing upstream, and are counted per client and limit. */

async function start(t: Test, limits: string) {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const keys = { upstream: randomKey('sk-test-up'), alice: randomKey('pk-alice'), bob: randomKey('pk-bob') };
  const config = join(dir, 'proxy.yaml');
  writeFileSync(config, `clients:\n  - { name: alice, key: { env: ALICE_KEY }, limits: ${limits} }\n  - { name: bob, key: { env: BOB_KEY } }\n`);
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_CONFIG: config, OPENAI_API_KEY: keys.upstream, ALICE_KEY: keys.alice, BOB_KEY: keys.bob } });
  const call = (key: string, body = '{"model":"gpt-4.1-mini","messages":[]}') =>
    request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body });
  return { up, proxy, keys, call };
}

t.test('requests per minute', async (t) => {
  const { up, proxy, keys, call } = await start(t, '{ requestsPerMinute: 2 }');
  t.equal((await call(keys.alice)).status, 200);
  t.equal((await call(keys.alice)).status, 200);
  const before = up.requests.length;
  const refused = await call(keys.alice);
  t.equal(refused.status, 429);
  t.equal(refused.headers['retry-after'], '30', 'one request back every 30 s');
  t.match(refused.json(), { error: { type: 'proxy_error', code: 'rate_limit_exceeded' } });
  t.equal(up.requests.length, before, 'nothing sent upstream');
  t.equal((await call(keys.bob)).status, 200, 'another client is not limited');
  const metrics = (await request(`${proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_rate_limited_total\{(?=[^}]*client="alice")(?=[^}]*limit="requestsPerMinute")[^}]*\} 1$/m);
  await assertNoKeyLeak(t, proxy, Object.values(keys), [refused.text]);
});

t.test('tokens per minute are charged from the usage the upstream reported', async (t) => {
  const { up, keys, call } = await start(t, '{ tokensPerMinute: 60 }');
  up.handle = handlers.json(200, { choices: [], usage: { prompt_tokens: 50, completion_tokens: 40, total_tokens: 90 } });
  t.equal((await call(keys.alice)).status, 200, 'admitted with a full bucket');
  const refused = await call(keys.alice);
  t.equal(refused.status, 429, '90 tokens used of 60 per minute: in debt');
  // 30 in debt, and the next request reserves ceil(39 / 4) = 10 tokens of its body: 40 tokens at one a second.
  t.equal(refused.headers['retry-after'], '40', 'room for the reservation in 40 s');
  t.match(refused.json(), { error: { code: 'rate_limit_exceeded' } });
});

t.test('concurrent streams', async (t) => {
  const { up, keys, call } = await start(t, '{ concurrentStreams: 1 }');
  up.handle = handlers.slowSse(4, 150);
  const stream = '{"model":"gpt-4.1-mini","stream":true,"messages":[]}';
  const first = call(keys.alice, stream);
  await up.waitForRequest();
  const second = await call(keys.alice, stream);
  t.equal(second.status, 429, 'a second stream is refused while the first is open');
  t.equal(second.headers['retry-after'], '1');
  up.handle = handlers.defaults();
  t.equal((await call(keys.alice)).status, 200, 'a non-streaming request is not a stream');
  t.equal((await first).status, 200);
  await sleep(50);
  up.handle = handlers.slowSse(1, 10);
  t.equal((await call(keys.alice, stream)).status, 200, 'the slot is free again once the stream ended');
});
