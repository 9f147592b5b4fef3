// Which upgrades are refused, and how: in JSON on the socket, which then closes, nothing sent upstream. The key is
// checked before the path, as for any request; an upstream that refuses the upgrade has its answer passed on
// (the credential redacted).
import { request as httpRequest } from 'node:http';
import t from 'tap';
import { startFakeRealtime } from '../helpers/fake-realtime';
import { randomKey, startProxy } from '../helpers/proxy';

/** An upgrade request by hand, to see the proxy's exact answer. */
function upgrade(port: number, path: string, headers: Record<string, string>, upgradeTo = 'websocket'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      headers: { connection: 'Upgrade', upgrade: upgradeTo, 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13', ...headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode!, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('refused upgrades', async (t) => {
  const up = await startFakeRealtime(t);
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const auth = { 'x-api-key': clientKey };
  const cases: Array<[string, string, Record<string, string>, number, string, string?]> = [
    ['no key', '/v1/realtime', {}, 401, '{"error":"unauthorized"}'],
    ['a wrong key, on a path outside the allowlist', '/v1/files', { 'x-api-key': 'pk-wrong-key-0123456789' }, 401, '{"error":"unauthorized"}'],
    ['an allowed path that speaks no WebSocket', '/v1/chat/completions', auth, 400, 'upgrade_not_supported'],
    ['a path outside the allowlist', '/v1/files', auth, 404, 'endpoint_not_allowed'],
    ['an upgrade to another protocol', '/v1/realtime', auth, 400, 'upgrade_not_supported', 'h2c'],
    ['a dot-segment trick', '/v1/chat/../realtime/../../v1/files', auth, 404, 'endpoint_not_allowed'],
  ];
  for (const [what, path, headers, status, body, to] of cases) {
    const res = await upgrade(proxy.port, path, headers, to);
    t.equal(res.status, status, `${what}: ${status}`);
    t.match(res.body, body, `${what}: its JSON body`);
  }
  t.equal(up.upgrades.length, 0, 'nothing reached the upstream');
  await proxy.waitForLog(() => proxy.logs.filter((l) => l.event === 'request').length === cases.length);
  t.same(
    proxy.logs.filter((l) => l.event === 'request').map((l) => l.status),
    cases.map((c) => c[3]),
    'each logged with its status',
  );
});

t.test('the upstream refuses the upgrade: its answer goes back, without the key it was sent', async (t) => {
  const upstreamKey = randomKey('sk-test-upstream');
  const up = await startFakeRealtime(t, {
    refuse: { status: 401, body: { error: { message: `Incorrect API key provided: ${upstreamKey}`, code: 'invalid_api_key' } } },
  });
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: upstreamKey, PROXY_X_API_KEY: clientKey } });
  const res = await upgrade(proxy.port, '/v1/realtime?model=gpt-realtime', { 'x-api-key': clientKey });
  t.equal(res.status, 401);
  t.match(JSON.parse(res.body), { error: { message: 'Incorrect API key provided: [redacted]', code: 'invalid_api_key' } });
  t.notOk(res.body.includes(upstreamKey));
});
