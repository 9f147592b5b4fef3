// The default allowlist admits the documented endpoints plus /v1/models; anything else is a 404
// JSON error with nothing sent upstream; `endpoints:` in the config file replaces the list.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';
import { tempDir } from '../helpers/tmp';

const ALLOWED: Array<[string, string]> = [
  ['POST', '/v1/responses'],
  ['GET', '/v1/responses/resp_123'],
  ['POST', '/v1/chat/completions'],
  ['POST', '/v1/completions'],
  ['POST', '/v1/embeddings'],
  ['POST', '/v1/images/generations'],
  ['POST', '/v1/images/variations'],
  ['POST', '/v1/audio/speech'],
  ['POST', '/v1/audio/anything-new'],
  ['GET', '/v1/models'],
  ['DELETE', '/v1/models/ft:gpt-4.1-mini:acme::abc'],
];
const REFUSED: Array<[string, string]> = [
  ['GET', '/'],
  ['GET', '/v1'],
  ['GET', '/v1/'],
  ['POST', '/v1/files'],
  ['GET', '/v1/assistants'],
  ['POST', '/v1/fine_tuning/jobs'],
  ['GET', '/v1/modelsX'],
  ['POST', '/v1/chat/completionsX'],
  ['POST', '/v1/images'],
  ['POST', '/v2/chat/completions'],
  ['GET', '/metrics'],
  ['POST', '/V1/chat/completions'],
];

t.test('default allowlist', async (t) => {
  const s = await startSingleTenant(t);
  const bodies: string[] = [];
  for (const [method, path] of ALLOWED) {
    const before = s.up.requests.length;
    const res = await request(`${s.proxy.url}${path}`, {
      method,
      headers: { ...s.auth, 'content-type': 'application/json' },
      body: method === 'POST' ? '{}' : undefined,
    });
    t.not(res.status, 401, `${method} ${path}: authenticated`);
    t.equal(s.up.requests.length, before + 1, `${method} ${path}: forwarded`);
    t.equal(s.up.lastRequest()?.url, path, `${method} ${path}: same path upstream`);
  }
  for (const [method, path] of REFUSED) {
    const before = s.up.requests.length;
    const res = await request(`${s.proxy.url}${path}`, { method, headers: s.auth, body: method === 'POST' ? '{}' : undefined });
    bodies.push(res.text);
    t.equal(res.status, 404, `${method} ${path}: 404`);
    t.match(res.json(), { error: { type: 'proxy_error', code: 'endpoint_not_allowed', message: String } }, `${method} ${path}: OpenAI-shaped error`);
    t.match(String(res.headers['content-type']), /^application\/json/);
    t.equal(s.up.requests.length, before, `${method} ${path}: nothing sent upstream`);
  }
  await noKeyLeak(t, s, bodies);
});

t.test('endpoints: in the config file replaces the default list', async (t) => {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const upstreamKey = randomKey('sk-test-upstream');
  const key = randomKey('wrapper-key-alice');
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `clients:\n  - name: alice\n    key: { value: "${key}" }\nendpoints: [/v1/chat/completions, /v1/files]\n`);
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_CONFIG: config, OPENAI_API_KEY: upstreamKey } });
  const call = (method: string, path: string) =>
    request(`${proxy.url}${path}`, { method, headers: { 'x-api-key': key }, body: method === 'POST' ? '{}' : undefined });
  t.equal((await call('POST', '/v1/chat/completions')).status, 200, 'listed endpoint allowed');
  t.equal((await call('POST', '/v1/files')).status, 404, 'widened: /v1/files is forwarded (the fake answers 404 itself)');
  t.equal(up.lastRequest()?.url, '/v1/files', 'widened: /v1/files reached the upstream');
  const before = up.requests.length;
  for (const path of ['/v1/embeddings', '/v1/models', '/v1/responses']) {
    const res = await call(path === '/v1/models' ? 'GET' : 'POST', path);
    t.equal(res.status, 404, `narrowed: ${path} refused`);
    t.match(res.json(), { error: { code: 'endpoint_not_allowed' } });
  }
  t.equal(up.requests.length, before, 'narrowed endpoints sent nothing upstream');
  await assertNoKeyLeak(t, proxy, [upstreamKey, key]);
});
