// UPSTREAM_FIRST_BYTE_TIMEOUT_MS bounds the time from the request sent to the final response head, interim
// responses or not. The socket's idle timer alone restarts with every byte, so an upstream sending
// 102 Processing forever (forwarded to the client each time) used to hold the client past it. It now gets
// 504 upstream_timeout at the first-byte timeout, and the upstream request is cancelled.
import t from 'tap';
import type { TLSSocket } from 'node:tls';
import { until } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';
import { startRawUpstream } from '../helpers/raw-upstream';

/** Writes `next()` every 200 ms until the connection closes. */
function drip(socket: TLSSocket, next: () => string): void {
  const timer = setInterval(() => socket.writable && socket.write(next()), 200);
  socket.once('close', () => clearInterval(timer));
}

t.test('an upstream that sends 102 forever: 504 at the first-byte timeout', async (t) => {
  let closed = 0;
  const up = await startRawUpstream(t, {
    answer: (head, socket) => {
      socket.once('close', () => closed++);
      // After 1 s of waiting, as an upstream announcing a long job would.
      setTimeout(() => drip(socket, () => 'HTTP/1.1 102 Processing\r\n\r\n'), head.includes('/late') ? 1000 : 0);
    },
  });
  const clientKey = randomKey('pk-test-client');
  const env = { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey, UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '2000' };
  const proxy = await startProxy(t, { upstream: up.url, env });
  for (const path of ['/v1/models/processing', '/v1/models/processing/late']) {
    const res = await request(`${proxy.url}${path}`, { headers: { 'x-api-key': clientKey }, timeoutMs: 20_000 });
    t.equal(res.status, 504, `${path}: 504`);
    t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_timeout' } });
  }
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_upstream_errors_total\{reason="first_byte_timeout"\} 2$/m, 'counted as first_byte_timeout');
  t.ok(await until(() => closed === 2, 5000), 'both upstream requests cancelled');
});
