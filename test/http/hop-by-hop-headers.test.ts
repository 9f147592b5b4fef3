// Hop-by-hop headers, and every header `Connection` names, are dropped both ways; Host is
// the upstream's; end-to-end headers (OpenAI-Organization, -Project, -Beta, unknown ones) and the query go up.
import t from 'tap';
import { rawExchange } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('request direction', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true }));
  };
  const body = '{"model":"gpt-4.1-mini","messages":[]}';
  const head = [
    'POST /v1/chat/completions?api-version=2024-10-21&x=%2F%20y HTTP/1.1',
    'Host: evil.example:1234',
    `X-API-Key: ${s.clientKey}`,
    'Connection: keep-alive, X-Drop-Me, x-drop-too',
    'X-Drop-Me: 1',
    'X-Drop-Too: 2',
    'Keep-Alive: timeout=99',
    'Proxy-Authorization: Basic Zm9vOmJhcg==',
    'Proxy-Connection: keep-alive',
    'Proxy-Custom: yes',
    'TE: trailers',
    'Trailer: X-Checksum',
    'OpenAI-Organization: org-abc',
    'OpenAI-Project: proj_abc',
    'OpenAI-Beta: assistants=v2',
    'X-Stainless-Lang: js',
    'X-Custom-Unknown: keep me',
    'User-Agent: proxy-test/1.0',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ].join('\r\n');
  const res = await rawExchange(s.proxy.port, `${head}\r\n\r\n${body}`, { timeoutMs: 3000 });
  t.equal(res.status, 200);
  const rec = s.up.lastRequest()!;
  const h = rec.headers;
  for (const name of ['keep-alive', 'proxy-authorization', 'proxy-connection', 'proxy-custom', 'te', 'trailer', 'x-drop-me', 'x-drop-too', 'x-api-key']) {
    t.equal(h[name], undefined, `${name} not forwarded`);
  }
  t.notOk(
    String(h.connection ?? '')
      .toLowerCase()
      .includes('x-drop'),
    "the client's Connection value is not forwarded",
  );
  t.equal(h.host, `localhost:${s.up.port}`, "Host is the upstream's");
  t.equal(rec.url, '/v1/chat/completions?api-version=2024-10-21&x=%2F%20y', 'query string unchanged');
  t.equal(h['openai-organization'], undefined, "the client's billing headers are dropped (upstream.passClientHeaders)");
  t.equal(h['openai-project'], undefined);
  t.equal(h['openai-beta'], 'assistants=v2');
  t.equal(h['x-stainless-lang'], 'js');
  t.equal(h['x-custom-unknown'], 'keep me');
  t.equal(h['user-agent'], 'proxy-test/1.0');
  t.equal(rec.body.toString(), body);
  await noKeyLeak(t, s);
});

t.test('response direction', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = (_req, res) => {
    res.setHeader('Connection', 'keep-alive, X-Hop-Response');
    res.setHeader('X-Hop-Response', 'secret');
    res.setHeader('Keep-Alive', 'timeout=99, max=7');
    res.setHeader('Proxy-Authenticate', 'Basic realm="upstream"');
    res.setHeader('Proxy-Custom', 'no');
    res.setHeader('X-End-To-End', 'kept');
    res.setHeader('Content-Type', 'application/json');
    res.end('{"ok":true}');
  };
  const res = await rawExchange(s.proxy.port, `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nConnection: close\r\n\r\n`);
  t.equal(res.status, 200);
  t.equal(res.headers['x-hop-response'], undefined, 'a header named in the upstream Connection is dropped');
  t.notOk((res.headers.connection ?? '').toLowerCase().includes('x-hop-response'), "the upstream's Connection is not relayed");
  t.notOk((res.headers['keep-alive'] ?? '').includes('timeout=99'), "the upstream's Keep-Alive is not relayed");
  t.equal(res.headers['proxy-authenticate'], undefined);
  t.equal(res.headers['proxy-custom'], undefined);
  t.equal(res.headers['x-end-to-end'], 'kept');
  t.equal(res.body.toString(), '{"ok":true}');
  await noKeyLeak(t, s);
});
