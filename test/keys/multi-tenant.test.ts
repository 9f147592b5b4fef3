// Multi-tenant mode from the YAML config file. Each client has its own key (value, env, file
// or sha256), optional own upstream key and extra upstream headers; the key comes as X-API-Key or Bearer.
import t from 'tap';
import OpenAI from 'openai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, sha256 } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

t.test('multi-tenant: per-client keys, upstream keys and headers', async (t) => {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const k = {
    defaultUpstream: randomKey('sk-test-default-upstream'),
    aliceUpstream: randomKey('sk-test-alice-upstream'),
    carolUpstream: randomKey('sk-test-carol-upstream'),
    alice: randomKey('wrapper-key-alice'),
    bob: randomKey('wrapper-key-bob'),
    carol: randomKey('wrapper-key-carol'),
    dave: randomKey('wrapper-key-dave'),
  };
  writeFileSync(join(dir, 'carol-upstream'), `${k.carolUpstream}\n`);
  writeFileSync(join(dir, 'dave-key'), `${k.dave}\n`);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `upstream:
  baseUrl: ${up.url}
  apiKey: { value: "${k.defaultUpstream}" }
clients:
  - name: alice
    key: { value: "${k.alice}" }
    upstreamKey: { env: ALICE_UPSTREAM_KEY }
    headers: { OpenAI-Project: proj_alice }
  - name: bob
    key: { sha256: ${sha256(k.bob)} }
  - name: carol
    key: { env: CAROL_PROXY_KEY }
    upstreamKey: { file: ${join(dir, 'carol-upstream')} }
  - name: dave
    key: { file: ${join(dir, 'dave-key')} }
`,
  );
  const proxy = await startProxy(t, {
    env: { PROXY_CONFIG: config, CAROL_PROXY_KEY: k.carol, ALICE_UPSTREAM_KEY: k.aliceUpstream, OPENAI_BASE_URL: undefined },
  });
  const listening = proxy.logs.find((l) => l.event === 'listening')!;
  t.equal(listening.mode, 'multi-tenant');
  t.same([...(listening.clients ?? [])].sort(), ['alice', 'bob', 'carol', 'dave']);

  const expectations = [
    { client: 'alice', key: k.alice, upstreamKey: k.aliceUpstream, project: 'proj_alice' },
    { client: 'bob', key: k.bob, upstreamKey: k.defaultUpstream, project: undefined },
    { client: 'carol', key: k.carol, upstreamKey: k.carolUpstream, project: undefined },
    { client: 'dave', key: k.dave, upstreamKey: k.defaultUpstream, project: undefined },
  ];
  const bodies: string[] = [];
  for (const e of expectations) {
    for (const style of ['x-api-key', 'bearer'] as const) {
      const auth = style === 'x-api-key' ? { 'x-api-key': e.key } : { authorization: `Bearer ${e.key}` };
      // Each client also sends its own OpenAI-Project: a configured one wins, and without one it is dropped.
      const res = await request(`${proxy.url}/v1/models`, { headers: { ...auth, 'openai-project': `proj_${e.client}_own` } });
      bodies.push(res.text);
      t.equal(res.status, 200, `${e.client} via ${style}: 200`);
      const rec = up.lastRequest()!;
      t.ok(rec.headers.authorization === `Bearer ${e.upstreamKey}`, `${e.client} via ${style}: its upstream key is used`);
      t.equal(rec.headers['openai-project'], e.project, `${e.client} via ${style}: OpenAI-Project upstream`);
      t.equal(rec.headers['x-api-key'], undefined, `${e.client}: X-API-Key not forwarded`);
      const line = await proxy.waitForLog((l) => l.event === 'request' && l.client === e.client && l.status === 200);
      t.ok(line, `${e.client}: request logged under its name`);
    }
  }

  const before = up.requests.length;
  const wrong = await request(`${proxy.url}/v1/models`, { headers: { authorization: `Bearer ${randomKey('wrapper-key-mallory')}` } });
  t.equal(wrong.status, 401);
  t.equal(wrong.text, '{"error":"unauthorized"}');
  const hashAsKey = await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': sha256(k.bob) } });
  t.equal(hashAsKey.status, 401, "the stored hash itself is not bob's key");
  t.equal(up.requests.length, before, 'nothing went upstream for refused keys');

  const alice = new OpenAI({ apiKey: k.alice, baseURL: `${proxy.url}/v1`, maxRetries: 0 });
  const chat = await alice.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(chat.choices[0].message.content, 'Hello from the fake upstream.', 'OpenAI({ apiKey: "wrapper-key-alice" }) just works');
  t.equal(up.lastRequest()!.headers['openai-project'], 'proj_alice');

  await assertNoKeyLeak(t, proxy, Object.values(k), bodies);
});

t.test('PROXY_X_API_KEY alongside a config file adds a client named default', async (t) => {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const upstreamKey = randomKey('sk-test-upstream');
  const alice = randomKey('wrapper-key-alice');
  const fixed = randomKey('pk-test-fixed');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `clients:\n  - name: alice\n    key: { value: "${alice}" }\n`);
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_CONFIG: config, OPENAI_API_KEY: upstreamKey, PROXY_X_API_KEY: fixed } });
  for (const [name, key] of [
    ['alice', alice],
    ['default', fixed],
  ]) {
    const res = await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': key } });
    t.equal(res.status, 200, `${name}: 200`);
    t.ok(up.lastRequest()!.headers.authorization === `Bearer ${upstreamKey}`, `${name}: OPENAI_API_KEY upstream`);
    t.ok(await proxy.waitForLog((l) => l.event === 'request' && l.client === name), `${name}: logged under its name`);
  }
  await assertNoKeyLeak(t, proxy, [upstreamKey, alice, fixed]);
});
