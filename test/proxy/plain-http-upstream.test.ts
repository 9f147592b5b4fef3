// Contract 1: any OpenAI-compatible upstream, including plain-HTTP ones (Ollama, vLLM on localhost), and an
// IPv6 literal origin over TLS (Host header and certificate check use [::1]).
import t from 'tap';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';

t.test('plain http upstream', async (t) => {
  const up = await startFakeUpstream({ t, plainHttp: true });
  const keys = [randomKey('sk-test-upstream'), randomKey('pk-test')];
  const proxy = await startProxy(t, { upstream: `${up.url}/v1`, env: { OPENAI_API_KEY: keys[0], PROXY_X_API_KEY: keys[1] } });
  const res = await request(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'x-api-key': keys[1], 'content-type': 'application/json' },
    body: '{"stream":true}',
  });
  t.equal(res.status, 200);
  t.match(res.text, /data: \[DONE\]\n\n$/);
  t.equal(up.lastRequest()!.url, '/v1/chat/completions');
  t.equal(up.lastRequest()!.headers.host, `localhost:${up.port}`);
  t.ok(up.lastRequest()!.headers.authorization === `Bearer ${keys[0]}`);
  await assertNoKeyLeak(t, proxy, keys);
});

t.test('IPv6 literal upstream over TLS', async (t) => {
  const up = await startFakeUpstream({ t, host: '::1' }).catch(() => undefined);
  if (!up) {
    t.pass('no IPv6 loopback here: skipped');
    return;
  }
  const keys = [randomKey('sk-test-upstream'), randomKey('pk-test')];
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: keys[0], PROXY_X_API_KEY: keys[1] } });
  const res = await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': keys[1] } });
  t.equal(res.status, 200);
  t.equal(up.lastRequest()?.headers.host, `[::1]:${up.port}`, 'Host is [::1]:port');
  await assertNoKeyLeak(t, proxy, keys);
});
