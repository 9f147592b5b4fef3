// UPSTREAM_FIRST_BYTE_TIMEOUT_MS bounds the time from the request sent to the final response head, whatever
// the upstream sends meanwhile. The socket's idle timer alone restarts with every byte, so an upstream sending
// 102 Processing forever, or trickling its headers a byte at a time, used to hold the client past it.
// Both now get 504 upstream_timeout, and the upstream request is cancelled.
import t from 'tap';
import type { TLSSocket } from 'node:tls';
import { until } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';
import { startRawUpstream } from './raw-upstream';

const TRICKLE = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-padding: ' + 'a'.repeat(200);

/** Writes `next()` every 200 ms until the connection closes. */
function drip(socket: TLSSocket, next: () => string): void {
  const timer = setInterval(() => socket.writable && socket.write(next()), 200);
  socket.once('close', () => clearInterval(timer));
}

t.test('an upstream that keeps sending but never answers: 504 at the first-byte timeout', async (t) => {
  let closed = 0;
  const up = await startRawUpstream(t, {
    answer: (head, socket) => {
      socket.once('close', () => closed++);
      let at = 0;
      if (head.includes('/v1/models/processing')) drip(socket, () => 'HTTP/1.1 102 Processing\r\n\r\n');
      else drip(socket, () => TRICKLE[at++ % TRICKLE.length]!);
    },
  });
  const clientKey = randomKey('pk-test-client');
  const env = { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey, UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '1500' };
  const proxy = await startProxy(t, { upstream: up.url, env });
  for (const path of ['/v1/models/processing', '/v1/models/trickle']) {
    const res = await request(`${proxy.url}${path}`, { headers: { 'x-api-key': clientKey }, timeoutMs: 20_000 });
    t.equal(res.status, 504, `${path}: 504`);
    t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_timeout' } });
  }
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_upstream_errors_total\{reason="first_byte_timeout"\} 2$/m, 'counted as first_byte_timeout');
  t.ok(await until(() => closed === 2, 5000), 'both upstream requests cancelled');
});
