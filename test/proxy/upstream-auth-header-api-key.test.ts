// OPENAI_AUTH_HEADER=api-key (and upstream.authHeader in the config file): the upstream key goes as Azure
// OpenAI's classic `api-key` header instead of `Authorization: Bearer`. A client's own `api-key` header is
// stripped in either setting, like its Authorization, so a client key never reaches the upstream.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { handlers, startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey, runProxyExpectingFailure, startProxy } from '../helpers/proxy';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';
import { tempDir } from '../helpers/tmp';

const body = JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });

t.test('OPENAI_AUTH_HEADER=api-key, Azure-style base URL', async (t) => {
  const up = await startFakeUpstream({ t });
  // Azure OpenAI's v1 API lives under /openai/v1: answer there as OpenAI would.
  up.handle = (req, res, rec) => handlers.defaults()(req, res, { ...rec, url: rec.url.replace(/^\/openai/, '') });
  const s = await startSingleTenant(t, { env: { OPENAI_AUTH_HEADER: 'api-key', OPENAI_BASE_URL: `${up.url}/openai/v1` } });
  // The stack's own fake upstream is not used: this proxy points at `up`, under Azure's /openai/v1 prefix.
  const completion = await s.sdk().chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  t.ok(completion.choices.length > 0, 'the SDK call went through');
  const rec = up.lastRequest()!;
  t.equal(rec.url, '/openai/v1/chat/completions', 'the path under the base URL prefix');
  t.ok(rec.headers['api-key'] === s.upstreamKey, 'api-key: <upstream key>');
  t.equal(rec.headers.authorization, undefined, 'no Authorization header upstream');
  await noKeyLeak(t, s);
});

t.test("a client's own api-key header is never forwarded, whichever header the upstream key uses", async (t) => {
  for (const authHeader of ['authorization', 'api-key']) {
    const s = await startSingleTenant(t, { env: { OPENAI_AUTH_HEADER: authHeader } });
    const stray = randomKey('azure-key-of-the-client');
    const res = await request(`${s.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...s.auth, 'api-key': stray, 'content-type': 'application/json' },
      body,
    });
    t.equal(res.status, 200, `${authHeader}: proxied`);
    const rec = s.up.lastRequest()!;
    t.notOk(JSON.stringify(rec.rawHeaders).includes(stray), `${authHeader}: the client's api-key is not forwarded`);
    t.ok(
      authHeader === 'api-key' ? rec.headers['api-key'] === s.upstreamKey : rec.headers.authorization === `Bearer ${s.upstreamKey}`,
      `${authHeader}: the upstream key in its header`,
    );
    t.notOk(rec.body.includes(stray) || rec.url.includes(stray), `${authHeader}: nor anywhere else`);
    await noKeyLeak(t, s);
  }
});

t.test('upstream.authHeader in the config file; the environment overrides it', async (t) => {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const [upstreamKey, clientKey] = [randomKey('sk-test-upstream'), randomKey('wrapper-key-alice')];
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `upstream:\n  authHeader: api-key\n  apiKey: { value: "${upstreamKey}" }\nclients:\n  - name: alice\n    key: { value: "${clientKey}" }\n`,
  );
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_CONFIG: config } });
  await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-api-key': clientKey }, body });
  t.ok(up.lastRequest()!.headers['api-key'] === upstreamKey, 'from the file: api-key');
  t.equal(up.lastRequest()!.headers.authorization, undefined);

  const up2 = await startFakeUpstream({ t });
  const overridden = await startProxy(t, { upstream: up2, env: { PROXY_CONFIG: config, OPENAI_AUTH_HEADER: 'authorization' } });
  await request(`${overridden.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-api-key': clientKey }, body });
  t.ok(up2.lastRequest()!.headers.authorization === `Bearer ${upstreamKey}`, 'OPENAI_AUTH_HEADER wins over the file');
  t.equal(up2.lastRequest()!.headers['api-key'], undefined);
});

t.test('an unknown header name stops the start, naming the setting', async (t) => {
  const run = await runProxyExpectingFailure({
    upstream: 'https://localhost:1',
    env: { OPENAI_API_KEY: randomKey('sk'), PROXY_X_API_KEY: randomKey('pk-test'), OPENAI_AUTH_HEADER: 'x-api-key' },
  });
  t.equal(run.code, 1);
  t.match(run.stderr, / {2}- OPENAI_AUTH_HEADER: must be one of authorization, api-key/);
});
