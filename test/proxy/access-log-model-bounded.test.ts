// Security review, low: the access log wrote the raw `model`, so a key pasted as a model name landed in the logs
// and a 60 KB model name made a 60 KB line. The log's model is at most 128 characters of [A-Za-z0-9._:/@-] and
// never a key the proxy knows, else "invalid".
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';

t.test("the log's model is bounded and never a key", async (t) => {
  // A plain upstream of this test's own: the request bodies that carry keys are meant to reach it here, and the
  // fake upstream's guard would (rightly) fail any test that sends one. Logs and metrics are still guarded.
  const upstream = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.teardown(() => upstream.close());
  const upstreamKey = randomKey('sk-test-upstream');
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, {
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    env: { OPENAI_API_KEY: upstreamKey, PROXY_X_API_KEY: clientKey },
  });
  const s = { proxy, clientKey, upstreamKey, auth: { 'x-api-key': clientKey } };
  const cases: Array<[string, string]> = [
    ['gpt-4.1-mini', 'gpt-4.1-mini'],
    ['ft:gpt-4o-mini-2024-07-18:acme:support@v2/rev.1', 'ft:gpt-4o-mini-2024-07-18:acme:support@v2/rev.1'],
    [s.clientKey, 'invalid'],
    [s.upstreamKey, 'invalid'],
    ['m'.repeat(60 * 1024), 'invalid'],
    ['gpt 4 "quoted"', 'invalid'],
    ['x'.repeat(129), 'invalid'],
  ];
  for (const [model] of cases) {
    const body = JSON.stringify({ model, messages: [] });
    const res = await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, body });
    t.equal(res.status, 200);
  }
  await s.proxy.waitForLog(() => s.proxy.logs.filter((l) => l.event === 'request').length === cases.length);
  const lines = s.proxy.logs.filter((l) => l.event === 'request');
  t.same(
    lines.map((l) => l.model),
    cases.map((c) => c[1]),
  );
  t.ok(
    s.proxy.stdout.split('\n').every((line) => line.length < 4096),
    'no log line carries the 60 KB name',
  );
});
