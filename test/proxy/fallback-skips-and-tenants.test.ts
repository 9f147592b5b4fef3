// Which upstreams a request tries: a 429 with retry-after passes the primary over until then (the next requests
// go straight to the fallback); five failures in a row pass it over too. A tenant with its own upstream key
// reaches a fallback only with its own key for it (fallbackKeys), else the fallback is skipped for it: one
// tenant's traffic is never billed to another's key.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { post, startChain } from '../helpers/fallbacks';
import { request } from '../helpers/http';
import { randomKey, runProxyExpectingFailure } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

t.test('a 429 with retry-after: the primary is passed over until then', async (t) => {
  const c = await startChain(t);
  c.primary.handle = handlers.openaiError(429, 'rate_limit_exceeded', { 'retry-after': '30' });
  t.equal((await post(c)).status, 200);
  for (let i = 0; i < 3; i++) t.equal((await post(c)).status, 200);
  t.equal(c.primary.requests.length, 1, 'the primary was asked once');
  t.equal(c.paygo.requests.length, 4, 'the rest went straight to the fallback');
  const metrics = (await request(`${c.proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_upstream_attempts_total\{upstream="ptu",result="skipped"\} 3$/m);
});

t.test('five failures in a row pass the primary over', async (t) => {
  const c = await startChain(t);
  c.primary.handle = handlers.openaiError(503, 'overloaded');
  for (let i = 0; i < 8; i++) t.equal((await post(c)).status, 200);
  t.equal(c.primary.requests.length, 5, 'asked five times, then passed over');
});

t.test("per tenant: a tenant's own fallback key, or no fallback at all", async (t) => {
  const aliceKey = randomKey('pk-test-alice');
  const bobKey = randomKey('pk-test-bob');
  const alicePrimary = randomKey('sk-test-alice-primary');
  const alicePaygo = randomKey('sk-test-alice-paygo');
  const bobPrimary = randomKey('sk-test-bob-primary');
  const clients = [
    'clients:',
    `  - { name: alice, key: { value: ${aliceKey} }, upstreamKey: { value: ${alicePrimary} }, fallbackKeys: { paygo: { value: ${alicePaygo} } } }`,
    `  - { name: bob, key: { value: ${bobKey} }, upstreamKey: { value: ${bobPrimary} } }`,
  ].join('\n');
  const c = await startChain(t, { clients, secrets: [aliceKey, bobKey, alicePaygo] });
  c.primary.handle = handlers.openaiError(503, 'overloaded');
  const as = (key: string) => request(`${c.proxy.url}/v1/models`, { headers: { 'x-api-key': key } });
  t.equal((await as(aliceKey)).status, 200, 'alice falls back');
  t.ok(c.paygo.lastRequest()!.headers.authorization === `Bearer ${alicePaygo}`, "with alice's own paygo key");
  const before = c.paygo.requests.length;
  t.equal((await as(bobKey)).status, 503, "bob has no paygo key: the primary's 503 stands");
  t.equal(c.paygo.requests.length, before, 'nothing of bob reached the fallback');
  t.equal((await as(c.clientKey)).status, 200, 'the default client uses the fallback key');
  t.ok(c.paygo.lastRequest()!.headers.authorization === `Bearer ${c.paygoKey}`);
});

t.test('config errors name the setting', async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'proxy.yaml'),
    'upstream:\n  fallbacks:\n    - { name: primary, baseUrl: https://b.example }\n    - { baseUrl: 3 }\n  fallbackOn: [200, connect]\nclients:\n  - { name: a, key: { value: pk-aaaaaaaaaaaaaaaaaaaa }, fallbackKeys: { nosuch: { value: x } } }\n',
  );
  const failed = await runProxyExpectingFailure({ env: { PROXY_CONFIG: join(dir, 'proxy.yaml'), OPENAI_API_KEY: 'sk-up-abc' } });
  t.equal(failed.code, 1);
  t.match(failed.stderr, /upstream\.fallbacks\[0\]\.name: "primary" names another upstream too/);
  t.match(failed.stderr, /upstream\.fallbacks\[0\]\.apiKey: required/);
  t.match(failed.stderr, /upstream\.fallbacks\[1\]\.name: required/);
  t.match(failed.stderr, /upstream\.fallbacks\[1\]\.baseUrl: required/);
  t.match(failed.stderr, /upstream\.fallbackOn: must be a list of statuses \(400-599\) and connect/);
  t.match(failed.stderr, /clients\[0\]\.fallbackKeys\.nosuch: names no fallback upstream/);
});
