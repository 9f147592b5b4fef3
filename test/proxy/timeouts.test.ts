// Connect, first-byte and idle timeouts, each with its own error; never a total timeout on
// a stream that keeps moving; a client that stops sending its body is not held forever either.
import t from 'tap';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { handlers, within } from '../helpers/fake-upstream';
import { rawExchange, request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('connect timeout: TCP accepted but TLS never answered -> 504 upstream_connect_timeout', async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket)); // accepts, never speaks TLS
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const keys = [randomKey('sk-test-upstream'), randomKey('pk-test')];
  const proxy = await startProxy(t, {
    upstream: `https://localhost:${(silent.address() as AddressInfo).port}`,
    env: { OPENAI_API_KEY: keys[0], PROXY_X_API_KEY: keys[1], UPSTREAM_CONNECT_TIMEOUT_MS: '500' },
  });
  const res = await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': keys[1] }, timeoutMs: 20_000 });
  t.equal(res.status, 504);
  t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_connect_timeout' } });
  await assertNoKeyLeak(t, proxy, keys, [res.text]);
});

t.test('first-byte timeout: no response headers in time -> 504 upstream_timeout, upstream cancelled', async (t) => {
  const s = await startSingleTenant(t, { env: { UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '500' } });
  s.up.handle = handlers.stall();
  const res = await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: s.auth, body: '{}', timeoutMs: 20_000 });
  t.equal(res.status, 504);
  t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_timeout' } });
  const rec = s.up.lastRequest()!;
  await within(rec.done, 5000, 'upstream request cancelled');
  t.ok(rec.aborted, 'the upstream request was cancelled');
  await noKeyLeak(t, s, [res.text]);
});

t.test('idle timeout mid-stream: the client connection is destroyed', async (t) => {
  const s = await startSingleTenant(t, { env: { UPSTREAM_IDLE_TIMEOUT_MS: '500' } });
  s.up.handle = handlers.stallMidStream(2);
  const res = await rawExchange(
    s.proxy.port,
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    { timeoutMs: 15_000 },
  );
  t.equal(res.status, 200);
  t.match(res.body.toString(), /data: \{"i":1\}/, 'the events before the silence arrived');
  t.notOk(res.raw.toString('latin1').endsWith('0\r\n\r\n'), 'no terminating chunk: the cut is visible');
  const rec = s.up.lastRequest()!;
  await within(rec.done, 5000, 'upstream request cancelled');
  t.ok(rec.aborted, 'the silent upstream request was cancelled');
  await noKeyLeak(t, s);
});

t.test('no total timeout: a stream longer than every timeout, but never silent, completes', async (t) => {
  const s = await startSingleTenant(t, { env: { UPSTREAM_IDLE_TIMEOUT_MS: '600', UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '600' } });
  s.up.handle = handlers.slowSse(16, 150); // ~2.4 s in all
  const res = await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: s.auth, body: '{"stream":true}', timeoutMs: 30_000 });
  t.equal(res.status, 200);
  t.match(res.text, /data: \{"i":15\}\n\ndata: \[DONE\]\n\n$/, 'every event and [DONE] arrived');
  await noKeyLeak(t, s);
});

/** Sends headers and the first `sent` bytes of a `declared`-byte body, then goes silent. */
async function stalledUpload(port: number, key: string, declared: number, sent: number) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  let answer = '';
  socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`,
  );
  socket.write(Buffer.alloc(sent, 0x61));
  return { socket, closed, answer: () => answer };
}

for (const [what, declared, sent] of [
  ['small body', 1000, 10],
  ['large body', 10_000_000, 200_000],
] as const) {
  t.test(`idle timeout on the request body (${what}): a client that stops sending is let go, and so is any upstream request`, async (t) => {
    const s = await startSingleTenant(t, { env: { UPSTREAM_IDLE_TIMEOUT_MS: '500' } });
    const upload = await stalledUpload(s.proxy.port, s.clientKey, declared, sent);
    await within(upload.closed, 10_000, 'the client connection to be closed').catch((e: Error) => t.fail(e.message));
    const status = upload.answer().split('\r\n')[0];
    t.ok(status === '' || /^HTTP\/1\.1 (408|400|504) /.test(status), `the client got an error or a closed socket (${status || 'closed'})`);
    for (const rec of s.up.requests) {
      await within(rec.done, 10_000, 'the upstream request to be cancelled').catch((e: Error) => t.fail(e.message));
      t.ok(rec.aborted && !rec.bodyComplete, 'the upstream request was cancelled without a complete body');
    }
    upload.socket.destroy();
    await noKeyLeak(t, s);
  });
}
