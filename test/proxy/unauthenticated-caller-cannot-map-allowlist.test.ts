// A caller without a valid key gets the same 401 on every path but /health, allowed or not, well-formed or
// not, so it cannot tell which endpoints the proxy admits (before, a 404 versus a 401 mapped the allowlist).
// With a valid key the allowlist answers as before. Nothing reaches the upstream.
import t from 'tap';
import { rawExchange, request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const PATHS = ['/v1/chat/completions', '/v1/models', '/v1/files', '/v1/assistants', '/', '/admin', '/metrics', '/v1/modelsX', '/v1/%2e%2e/secret', '/v1/a;b'];

t.test('no key, or a wrong one: 401 everywhere', async (t) => {
  const s = await startSingleTenant(t);
  const bodies: string[] = [];
  for (const headers of [{}, { 'x-api-key': 'not-the-proxy-key-at-all' }, { authorization: 'Bearer not-the-proxy-key-at-all' }]) {
    for (const path of PATHS) {
      const res = await request(`${s.proxy.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
      bodies.push(res.text);
      t.equal(res.status, 401, `${path} (${Object.keys(headers)[0] ?? 'no key'}): 401`);
      t.equal(res.text, '{"error":"unauthorized"}', `${path}: the one 401 body`);
    }
  }
  // A target Node's own client would not send: the raw bytes, absolute form and a dot segment above the root.
  for (const target of ['http://evil.example/v1/chat/completions', '/../../etc/passwd']) {
    const res = await rawExchange(s.proxy.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.equal(res.status, 401, `${target}: 401`);
  }
  t.equal(s.up.requests.length, 0, 'nothing went upstream');
  await noKeyLeak(t, s, bodies);
});

t.test('with the key: an allowed path is proxied, another is 404; /health needs no key', async (t) => {
  const s = await startSingleTenant(t);
  t.equal((await request(`${s.proxy.url}/v1/models`, { headers: s.auth })).status, 200, 'allowed: proxied');
  const refused = await request(`${s.proxy.url}/v1/files`, { headers: s.auth });
  t.equal(refused.status, 404, 'not allowed: 404');
  t.match(refused.json(), { error: { code: 'endpoint_not_allowed' } });
  t.equal((await request(`${s.proxy.url}/health`)).status, 200, '/health without a key');
  t.equal(s.up.requests.length, 1, 'only the allowed request went upstream');
  await noKeyLeak(t, s, [refused.text]);
});
