// A client that disconnects cancels its upstream request at once, streaming or not: while
// the upstream is thinking (before headers), mid-stream, and mid-upload. A client abort is logged as such.
import t from 'tap';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { handlers, within } from '../helpers/fake-upstream';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const UPSTREAM_GONE_MS = 5000; // generous: "at once" is checked by what the upstream had sent, not by a clock

t.test('abort mid-stream cancels the upstream stream', async (t) => {
  const s = await startSingleTenant(t);
  let sent = 0;
  s.up.handle = handlers.slowSse(200, 50, () => sent++);
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(
      `${s.proxy.url}/v1/chat/completions`,
      { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, agent: false },
      (res) => {
        let events = 0;
        res.on('data', (c: Buffer) => {
          events += c.toString().split('\n\n').length - 1;
          if (events >= 3) {
            req.destroy();
            resolve();
          }
        });
      },
    );
    req.on('error', () => {});
    req.on('close', () => resolve());
    req.end('{"stream":true}');
    setTimeout(() => reject(new Error('no events arrived')), 10_000).unref();
  });
  const rec = s.up.lastRequest()!;
  await within(rec.done, UPSTREAM_GONE_MS, 'upstream request cancelled');
  t.ok(rec.aborted, 'the upstream saw its request cancelled');
  t.ok(sent < 200, `the upstream stopped early (${sent} of 200 events sent)`);
  const line = await s.proxy.waitForLog((l) => l.event === 'request' && l.aborted === true);
  t.equal(line.client, 'default');
  await noKeyLeak(t, s);
});

t.test('abort while waiting for response headers cancels the upstream request', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.stall();
  const req = httpRequest(`${s.proxy.url}/v1/responses`, { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, agent: false });
  req.on('error', () => {});
  req.end('{"model":"o3","input":"think hard"}');
  const rec = await s.up.waitForRequest((r) => r.bodyComplete);
  req.destroy();
  await within(rec.done, UPSTREAM_GONE_MS, 'upstream request cancelled');
  t.ok(rec.aborted, 'the upstream saw its request cancelled');
  const line = await s.proxy.waitForLog((l) => l.event === 'request' && l.aborted === true);
  t.equal(line.endpoint, '/v1/responses');
  await noKeyLeak(t, s);
});

t.test('abort mid-upload cancels the upstream request', async (t) => {
  const s = await startSingleTenant(t);
  const socket = connect(s.proxy.port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n`,
  );
  socket.write(Buffer.alloc(100_000, 1));
  const rec = await s.up.waitForRequest();
  socket.destroy();
  await within(rec.done, UPSTREAM_GONE_MS, 'upstream request cancelled');
  t.ok(rec.aborted, 'the upstream request was cancelled');
  t.notOk(rec.bodyComplete, 'the upstream never saw a complete (truncated) body');
  await noKeyLeak(t, s);
});

t.test('client aborts are counted in metrics, not as upstream errors', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.stall();
  const req = httpRequest(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: s.auth, agent: false });
  req.on('error', () => {});
  req.end('{}');
  const rec = await s.up.waitForRequest((r) => r.bodyComplete);
  req.destroy();
  await within(rec.done, UPSTREAM_GONE_MS, 'upstream request cancelled');
  await s.proxy.waitForLog((l) => l.event === 'request' && l.aborted === true);
  const metrics = await (await fetch(`${s.proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_client_aborts_total\{[^}]*client="default"[^}]*endpoint="\/v1\/chat\/completions"[^}]*\} 1$/m);
  t.match(metrics, /^openai_proxy_requests_total\{[^}]*status="499"[^}]*\} 1$/m, 'status label 499');
  t.notMatch(metrics, /^openai_proxy_upstream_errors_total\{[^}]*\} [1-9]/m, 'no upstream error counted');
  await noKeyLeak(t, s);
});
