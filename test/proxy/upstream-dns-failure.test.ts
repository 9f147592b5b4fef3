// Upstream faults: an upstream name that does not resolve (`.invalid` is reserved never to exist, so
// this fails at once, without a network) answers 502 upstream_unreachable in the proxy's JSON shape, counted
// as reason "unreachable"; the proxy keeps serving and tries again on the next request.
import t from 'tap';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';

t.test('DNS failure: 502 upstream_unreachable', async (t) => {
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, {
    upstream: 'https://api.openai-proxy-test.invalid',
    env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey },
  });
  for (const attempt of [1, 2]) {
    const res = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-api-key': clientKey, 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 30_000,
    });
    t.equal(res.status, 502, `attempt ${attempt}: 502`);
    t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_unreachable', message: String } });
  }
  await proxy.waitForLog(() => proxy.logs.filter((l) => l.event === 'request').length === 2);
  const lines = proxy.logs.filter((l) => l.event === 'request');
  t.same(
    lines.map((l) => l.error),
    ['upstream_unreachable', 'upstream_unreachable'],
    'logged with its code',
  );
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_upstream_errors_total\{reason="unreachable"\} 2$/m, 'counted as unreachable');
  t.equal((await request(`${proxy.url}/health`)).status, 200, 'still serving');
});
