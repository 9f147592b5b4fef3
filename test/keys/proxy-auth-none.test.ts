// PROXY_AUTH=none runs without client keys (sidecar convenience), accepted only when HOST is
// a loopback address; the upstream still gets the server-side key and never a client's Authorization.
import t from 'tap';
import OpenAI from 'openai';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, runProxyExpectingFailure, startProxy } from '../helpers/proxy';

t.test('no client key needed on loopback', async (t) => {
  const up = await startFakeUpstream({ t });
  const upstreamKey = randomKey('sk-test-upstream');
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_AUTH: 'none', OPENAI_API_KEY: upstreamKey, HOST: '127.0.0.1' } });
  t.equal(proxy.logs[0].mode, 'no-auth');
  const res = await request(`${proxy.url}/v1/models`);
  t.equal(res.status, 200, 'no key: 200');
  t.ok(up.lastRequest()!.headers.authorization === `Bearer ${upstreamKey}`, 'upstream key used');
  const withJunk = await request(`${proxy.url}/v1/models`, { headers: { authorization: 'Bearer sk-client-junk', 'x-api-key': 'junk' } });
  t.equal(withJunk.status, 200, 'a key sent anyway is ignored');
  t.ok(up.lastRequest()!.headers.authorization === `Bearer ${upstreamKey}`, "the client's Authorization is replaced");
  t.equal(up.lastRequest()!.headers['x-api-key'], undefined);
  const sdk = new OpenAI({ apiKey: 'unused', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
  const chat = await sdk.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(chat.choices[0].message.content, 'Hello from the fake upstream.');
  t.ok(await proxy.waitForLog((l) => l.event === 'request' && l.client === 'default'), "requests logged as client 'default'");
  t.equal(up.requests.filter((r) => r.url.startsWith('/v1/files')).length, 0);
  t.equal((await request(`${proxy.url}/v1/files`)).status, 404, 'the allowlist still applies');
  await assertNoKeyLeak(t, proxy, [upstreamKey]);
});

t.test('refused when bound to a non-loopback address', async (t) => {
  for (const host of ['0.0.0.0', '::']) {
    const run = await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { PROXY_AUTH: 'none', OPENAI_API_KEY: randomKey('sk'), HOST: host } });
    t.equal(run.code, 1, `HOST=${host}: exit 1`);
    t.match(run.stderr, /PROXY_AUTH|HOST/, `HOST=${host}: the problem names PROXY_AUTH or HOST`);
  }
});

t.test('the default is key auth: no PROXY_AUTH and no client key does not start', async (t) => {
  const run = await runProxyExpectingFailure({ upstream: 'https://localhost:1', env: { OPENAI_API_KEY: randomKey('sk') } });
  t.equal(run.code, 1, 'an open proxy is never the default');
});
