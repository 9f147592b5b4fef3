// An upstream that closes the connection before answering gives 502 upstream_reset; one
// that fails after the response began makes the proxy destroy the client connection, so a cut stream never
// looks complete (no terminating chunk), and the process keeps serving.
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { rawExchange, request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('reset before response headers: 502 upstream_reset', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.resetBeforeHeaders();
  const res = await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, body: '{}' });
  t.equal(res.status, 502);
  t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_reset', message: String } });
  const line = await s.proxy.waitForLog((l) => l.event === 'request' && l.status === 502);
  t.equal(line.error, 'upstream_reset');
  await noKeyLeak(t, s, [res.text]);
});

t.test('reset mid-stream: the client connection is destroyed, not ended cleanly', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.resetMidStream(3);
  const res = await rawExchange(
    s.proxy.port,
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    { timeoutMs: 10_000 },
  );
  t.equal(res.status, 200, 'the response had begun');
  t.match(res.body.toString(), /data: \{"i":2\}/, 'the events sent before the failure arrived');
  const raw = res.raw.toString('latin1');
  t.match(res.headers['transfer-encoding'] ?? '', /chunked/, 'the stream was chunked');
  t.notOk(raw.endsWith('0\r\n\r\n'), 'no terminating chunk: the cut is visible to the client');

  // The SDK reports the cut as an error instead of a short, complete-looking stream.
  s.up.handle = handlers.resetMidStream(3);
  const outcome = await (async () => {
    try {
      const stream = await s.sdk().chat.completions.create({ model: 'gpt-4.1-mini', messages: [], stream: true });
      for await (const _ of stream) void _;
      return 'completed';
    } catch {
      return 'error';
    }
  })();
  t.equal(outcome, 'error', 'the SDK sees an error');
  t.equal((await request(`${s.proxy.url}/health`)).status, 200, 'still serving');
  await noKeyLeak(t, s);
});

t.test('cut fixed-length body: the client gets fewer bytes and a destroyed connection', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
    res.write('{"partial":');
    setTimeout(() => req.socket.destroy(), 50);
  };
  const outcome = await request(`${s.proxy.url}/v1/models`, { headers: s.auth }).then(
    (r) => `completed with ${r.body.length} bytes`,
    () => 'error',
  );
  t.equal(outcome, 'error', 'the client does not see a complete response');
  await noKeyLeak(t, s);
});
