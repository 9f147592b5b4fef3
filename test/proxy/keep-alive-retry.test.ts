// Keep-alive to the upstream: connections are reused; idle ones are closed by the proxy
// before the upstream's keep-alive timeout would close them; an idempotent request that fails on a stale reused
// socket before any response is retried once on a new one (POSTs never are: see
// test/proxy/stale-connection-retries-idempotent-only.test.ts); nothing else is retried.
import t from 'tap';
import { handlers, sleep, type Handler } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const models = (s: { proxy: { url: string }; auth: Record<string, string> }) => request(`${s.proxy.url}/v1/models`, { headers: s.auth });

t.test('sequential requests reuse one upstream connection', async (t) => {
  const s = await startSingleTenant(t);
  for (let i = 0; i < 5; i++) t.equal((await models(s)).status, 200);
  t.same(new Set(s.up.requests.map((r) => r.socketId)).size, 1, 'all five on one connection');
  t.same(
    s.up.requests.map((r) => r.socketRequestIndex),
    [0, 1, 2, 3, 4],
  );
  await noKeyLeak(t, s);
});

t.test('a stale reused socket is retried once on a new connection', async (t) => {
  const s = await startSingleTenant(t);
  t.equal((await models(s)).status, 200, 'first request opens a connection');
  // The next request on that (reused) connection dies before any answer, as if the upstream had closed it.
  let tripped = false;
  const normal = handlers.defaults();
  s.up.handle = ((req, res, rec) => {
    if (!tripped && rec.socketRequestIndex > 0) {
      tripped = true;
      req.socket.destroy();
      return;
    }
    return normal(req, res, rec);
  }) as Handler;
  const res = await models(s);
  t.equal(res.status, 200, 'the client never saw the stale socket');
  t.equal(s.up.requests.length, 3, 'one failed attempt plus one retry');
  t.equal(s.up.requests[2].socketRequestIndex, 0, 'the retry went out on a new connection');
  t.not(s.up.requests[2].socketId, s.up.requests[0].socketId);
  await noKeyLeak(t, s);
});

t.test('a reset on a fresh connection is not retried', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.resetBeforeHeaders();
  const res = await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: s.auth, body: '{}' });
  t.equal(res.status, 502);
  t.equal(s.up.requests.length, 1, 'exactly one attempt');
  await noKeyLeak(t, s, [res.text]);
});

t.test('upstream errors and mid-stream failures are not retried', async (t) => {
  const s = await startSingleTenant(t);
  t.equal((await models(s)).status, 200);
  s.up.handle = handlers.openaiError(500, 'server_error');
  t.equal((await models(s)).status, 500);
  t.equal(s.up.requests.length, 2, 'a 500 is answered, not retried');
  s.up.handle = handlers.resetMidStream(1);
  await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: s.auth, body: '{"stream":true}' }).catch(() => undefined);
  await sleep(200);
  t.equal(s.up.requests.length, 3, 'a failure after the response began is not retried');
  await noKeyLeak(t, s);
});

t.test('idle upstream connections are closed by the proxy before the upstream keep-alive timeout', async (t) => {
  // 5 s is Node's and uvicorn's (vLLM's) default keep-alive timeout.
  const s = await startSingleTenant(t, { upstream: { keepAliveTimeoutMs: 5000 } });
  t.equal((await models(s)).status, 200);
  const socket = s.up.sockets[0];
  const deadline = Date.now() + 8000;
  while (!socket.closed && Date.now() < deadline) await sleep(100);
  t.ok(socket.closed, 'the idle connection was closed');
  t.ok(socket.closedByPeer, 'by the proxy, not by the upstream timing it out');
  await noKeyLeak(t, s);
});
