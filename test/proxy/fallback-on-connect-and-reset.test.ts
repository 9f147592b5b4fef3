// Fallback on failures before a response: a refused connection, a reset before the response head (a POST too:
// the next upstream is another one), but never once a response has begun; and no fallback for a body streamed
// past upstream.fallbackBodyLimitBytes (it was never held in memory).
import { request as httpRequest } from 'node:http';
import t from 'tap';
import { handlers, writeSse } from '../helpers/fake-upstream';
import { post, startChain } from '../helpers/fallbacks';
import { request } from '../helpers/http';
import { closedPort } from '../helpers/ports';

t.test('a primary that refuses connections: the fallback answers', async (t) => {
  const port = await closedPort();
  const c = await startChain(t, { env: { OPENAI_BASE_URL: `https://127.0.0.1:${port}` } });
  const res = await post(c);
  t.equal(res.status, 200);
  t.equal(c.paygo.requests.length, 1);
  t.match(await c.proxy.waitForLog((l) => l.event === 'request'), { upstream: 'paygo', attempts: 2 });
});

t.test('a reset before the response head: the fallback answers, the POST sent once to each', async (t) => {
  const c = await startChain(t);
  c.primary.handle = handlers.resetBeforeHeaders();
  const res = await post(c);
  t.equal(res.status, 200);
  t.equal(c.primary.requests.length, 1, 'not retried on the primary');
  t.equal(c.paygo.requests.length, 1);
});

t.test('a response cut after its head: no fallback, the client is cut', async (t) => {
  const c = await startChain(t);
  c.primary.handle = async (req, res) => {
    await writeSse(res, ['data: {"i":0}\n\n'], { stopAfter: 1 });
    req.socket.destroy();
  };
  const outcome = await post(c).then(
    (r) => `answered ${r.status}`,
    (err: Error) => `cut: ${err.message}`,
  );
  t.match(outcome, /^cut/, 'the client saw the primary begin, then a cut');
  t.equal(c.paygo.requests.length, 0, 'nothing went to the fallback');
});

t.test('a body over fallbackBodyLimitBytes streams and gets no fallback', async (t) => {
  const c = await startChain(t, { yaml: '  fallbackBodyLimitBytes: 1000\n' });
  c.primary.handle = handlers.openaiError(503, 'overloaded');
  const big = JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
  t.equal((await post(c, '/v1/chat/completions', big)).status, 503, "the primary's answer stands");
  t.equal(c.paygo.requests.length, 0);
  t.equal((await post(c)).status, 200, 'a small body still falls back');
});

t.test('a client that disconnects while the chain runs: nothing goes to the next upstream', async (t) => {
  const c = await startChain(t, { env: { UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '1500' } });
  c.primary.handle = handlers.stall();
  await new Promise<void>((resolve) => {
    const req = httpRequest(`${c.proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...c.auth, 'content-type': 'application/json' } });
    req.on('error', () => resolve());
    req.end('{"model":"gpt-4.1-mini","messages":[]}');
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 300);
  });
  await c.proxy.waitForLog((l) => l.event === 'request');
  await new Promise((resolve) => setTimeout(resolve, 1800));
  t.equal(c.paygo.requests.length, 0, 'the fallback never asked');
  t.match(await request(`${c.proxy.adminUrl}/metrics`), { status: 200 });
});

t.test('a primary that never answers: the first-byte timeout (a 504) moves on', async (t) => {
  const c = await startChain(t, { env: { UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '500' } });
  c.primary.handle = handlers.stall();
  const res = await post(c);
  t.equal(res.status, 200);
  t.match(await c.proxy.waitForLog((l) => l.event === 'request'), { upstream: 'paygo', attempts: 2 });
});
