// SIGTERM drains: /readyz turns 503, new connections are refused, open
// streams run to their end, exit 0; with a stream that outlives SHUTDOWN_GRACE_MS it is cut and exit is 1.
import t from 'tap';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { handlers, sleep, within } from './helpers/fake-upstream';
import { request } from './helpers/http';
import { noKeyLeak, startSingleTenant, type Stack } from './helpers/stack';

/** Starts a streaming request; resolves once the first event arrived, with a promise of the whole body. */
function openStream(s: Stack): Promise<{ rest: Promise<{ body: string; complete: boolean }> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${s.proxy.url}/v1/chat/completions`,
      { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, agent: false },
      (res) => {
        let body = '';
        let first = true;
        const rest = new Promise<{ body: string; complete: boolean }>((done) => {
          res.on('end', () => done({ body, complete: true }));
          res.on('error', () => done({ body, complete: false }));
          res.on('aborted', () => done({ body, complete: false }));
          res.on('close', () => done({ body, complete: res.complete }));
        });
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
          if (first) {
            first = false;
            resolve({ rest });
          }
        });
      },
    );
    req.on('error', reject);
    req.end('{"stream":true}');
  });
}

t.test('SIGTERM: an open stream finishes, readiness goes 503, exit 0', async (t) => {
  const s = await startSingleTenant(t, { env: { SHUTDOWN_GRACE_MS: '20000' } });
  s.up.handle = handlers.slowSse(20, 150); // ~3 s
  const stream = await openStream(s);
  s.proxy.child.kill('SIGTERM');
  await s.proxy.waitForLog((l) => l.event === 'shutdown_started');

  const ready = await request(`${s.proxy.adminUrl}/readyz`);
  t.equal(ready.status, 503, '/readyz 503 while draining');
  t.same(ready.json(), { status: 'draining' });
  t.equal((await request(`${s.proxy.adminUrl}/healthz`)).status, 200, '/healthz still 200');
  const refused = await request(`${s.proxy.url}/health`).then(
    (r) => `answered ${r.status}`,
    (e: NodeJS.ErrnoException) => e.code ?? 'error',
  );
  t.equal(refused, 'ECONNREFUSED', 'new connections are refused');

  const { body, complete } = await within(stream.rest, 15_000, 'the open stream to finish');
  t.ok(complete, 'the stream ended cleanly');
  t.match(body, /data: \{"i":19\}\n\ndata: \[DONE\]\n\n$/, 'every event arrived');
  const code = await s.proxy.stop();
  t.equal(code, 0, 'exit code 0');
  const done = s.proxy.logs.find((l) => l.event === 'shutdown_complete');
  t.match(done, { cut: 0 });
  await noKeyLeak(t, s);
});

t.test('SIGTERM with a stream that never ends: cut after SHUTDOWN_GRACE_MS, exit 1', async (t) => {
  const s = await startSingleTenant(t, { env: { SHUTDOWN_GRACE_MS: '300' } });
  s.up.handle = handlers.stallMidStream(1);
  const stream = await openStream(s);
  const code = await s.proxy.stop('SIGTERM', 20_000);
  t.equal(code, 1, 'exit code 1');
  const { complete } = await within(stream.rest, 5000, 'the client connection to close');
  t.notOk(complete, 'the cut stream does not look complete');
  t.match(
    s.proxy.logs.find((l) => l.event === 'shutdown_complete'),
    { cut: 1 },
  );
  const rec = s.up.lastRequest()!;
  await within(rec.done, 5000, 'the upstream request to end');
  t.ok(rec.aborted, 'the upstream stream was cancelled too');
  await noKeyLeak(t, s);
});

t.test('SIGINT on an idle proxy: exit 0 promptly', async (t) => {
  const s = await startSingleTenant(t);
  t.equal((await request(`${s.proxy.url}/v1/models`, { headers: s.auth })).status, 200);
  await sleep(50);
  t.equal(await s.proxy.stop('SIGINT', 20_000), 0);
  t.ok(
    s.proxy.logs.some((l) => l.event === 'shutdown_started'),
    'shutdown_started logged',
  );
  t.ok(
    s.proxy.logs.some((l) => l.event === 'shutdown_complete'),
    'shutdown_complete logged',
  );
  await noKeyLeak(t, s);
});

t.test('keep-alive clients are told to close during the drain', async (t) => {
  const s = await startSingleTenant(t, { env: { SHUTDOWN_GRACE_MS: '20000' } });
  s.up.handle = handlers.slowSse(10, 150);
  // A client with an open keep-alive connection...
  const socket = connect(s.proxy.port, '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  const get = `GET /health HTTP/1.1\r\nHost: x\r\n\r\n`;
  socket.write(get);
  while (!received.includes('{"status":"ok"}')) await sleep(20);
  // ...and a stream that keeps the proxy draining for a while.
  const stream = await openStream(s);
  s.proxy.child.kill('SIGTERM');
  await s.proxy.waitForLog((l) => l.event === 'shutdown_started');
  received = '';
  if (!socket.destroyed) socket.write(get);
  await within(closed, 15_000, 'the keep-alive connection to be closed');
  const answered = received.startsWith('HTTP/1.1');
  t.ok(
    !answered || /\r\nconnection: close\r\n/i.test(received),
    answered ? 'the response during the drain says Connection: close' : 'the idle connection was closed',
  );
  await within(stream.rest, 15_000, 'the stream to finish');
  t.equal(await s.proxy.stop(), 0);
  await noKeyLeak(t, s);
});

t.test('idle keep-alive connections do not hold the shutdown for the whole grace period', async (t) => {
  const s = await startSingleTenant(t, { env: { SHUTDOWN_GRACE_MS: '60000' } });
  const socket = connect(s.proxy.port, '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n\r\n`);
  while (!received.includes('"object":"list"')) await sleep(20);
  t.teardown(() => socket.destroy());
  // The connection now sits idle (keep-alive). Nothing is in flight, so the drain has nothing to wait for.
  s.proxy.child.kill('SIGTERM');
  const exited = await within(s.proxy.exited, 15_000, 'exit well before SHUTDOWN_GRACE_MS (60 s)').then(
    (e) => e,
    () => undefined,
  );
  t.ok(exited, 'the process exited without waiting out the grace period');
  t.equal(exited?.code, 0, 'exit code 0');
  t.match(
    s.proxy.logs.find((l) => l.event === 'shutdown_complete'),
    { cut: 0 },
  );
  await noKeyLeak(t, s);
});
