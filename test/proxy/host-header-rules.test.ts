// RFC 9112 §3.2: an HTTP/1.1 request without Host, with more than one Host line, or with a Host that is not a
// host gets 400 invalid_host in the proxy's JSON shape, with the connection closed and nothing sent upstream.
// Node answered a missing Host with a bare 400 of its own and kept only the first of two Host lines. The proxy
// never routes by Host, but two parts of a path that read Host differently is how requests get smuggled. An
// HTTP/1.0 request may come without Host; every valid form (names, IP literals, ports) passes.
import t from 'tap';
import { rawExchange } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { expectRefused } from '../helpers/refusal';

t.test('Host missing, repeated or invalid: 400 invalid_host; valid forms pass', async (t) => {
  const s = await startSingleTenant(t);
  const get = (host: string, version = '1.1') => `GET /v1/models HTTP/${version}\r\n${host}X-API-Key: ${s.clientKey}\r\n\r\n`;
  const refused: Array<[string, string]> = [
    ['no Host', ''],
    ['two different Hosts', 'Host: a.example\r\nHost: b.example\r\n'],
    ['the same Host twice', 'Host: a.example\r\nhost: a.example\r\n'],
    ['a space in it', 'Host: a b\r\n'],
    ['a path in it', 'Host: a.example/v1\r\n'],
    ['userinfo', 'Host: user@a.example\r\n'],
    ['a port that is not a number', 'Host: a.example:http\r\n'],
    ['an unclosed IP literal', 'Host: [::1\r\n'],
    ['a backslash', 'Host: a\\b\r\n'],
  ];
  for (const [name, host] of refused) await expectRefused(t, s, name, get(host), { status: 400, code: 'invalid_host' });
  await expectRefused(t, s, 'two Hosts on HTTP/1.0', get('Host: a\r\nHost: b\r\n', '1.0'), { status: 400, code: 'invalid_host' });
  await expectRefused(t, s, 'no Host on /health', 'GET /health HTTP/1.1\r\n\r\n', { status: 400, code: 'invalid_host' });

  const accepted = [
    'Host: localhost:18443\r\n',
    'Host: 10.0.0.1\r\n',
    'Host: [::1]:18443\r\n',
    'Host: openai-proxy.ai.svc.cluster.local\r\n',
    'Host: a.example:\r\n',
    'Host: \r\n',
  ];
  for (const host of accepted) {
    const answer = await rawExchange(s.proxy.port, get(`${host}Connection: close\r\n`));
    t.equal(answer.status, 200, `${JSON.stringify(host.trim())}: forwarded`);
  }
  const http10 = await rawExchange(s.proxy.port, get('', '1.0'));
  t.equal(http10.status, 200, 'HTTP/1.0 without Host: forwarded');
  t.equal(s.up.requests.length, accepted.length + 1, 'only the valid requests went upstream');
  t.ok(
    s.up.requests.every((r) => r.headers.host === new URL(s.up.url).host),
    "each with the upstream's own Host",
  );
});
