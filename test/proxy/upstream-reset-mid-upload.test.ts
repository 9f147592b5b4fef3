// Upstream faults: the upstream resets the connection while a large body is still being uploaded.
// The client gets 502 upstream_reset (nothing of the response had begun) on a connection that is then closed,
// the rest of its body is not swallowed, the reset is counted, and the proxy keeps serving. The proxy does not
// retry: a streamed body cannot be sent again.
import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { within } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses } from '../helpers/raw-socket';

const DECLARED = 50 * 1024 * 1024;
const RESET_AFTER = 1024 * 1024;

t.test('reset mid-upload: 502 upstream_reset, connection closed, no retry', async (t) => {
  const s = await startSingleTenant(t);
  s.up.server.prependListener('request', (req: IncomingMessage) => {
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= RESET_AFTER) req.socket.destroy();
    });
  });
  const client = await openRaw(s.proxy.port);
  client.write(
    `POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${DECLARED}\r\n\r\n`,
  );
  // Sends the body in 64 KiB pieces as long as the proxy takes them, until it answers or closes.
  let sent = 0;
  const piece = Buffer.alloc(64 * 1024, 0x61);
  while (sent < 4 * RESET_AFTER && !client.isClosed() && !client.received()) {
    client.write(piece);
    sent += piece.length;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await within(client.closed, 20_000, 'the client connection to be closed').catch((err: Error) => t.fail(err.message));
  const [answer, ...more] = responses(client.received());
  t.equal(answer?.status, 502, '502');
  t.match(JSON.parse(answer?.body || '{}'), { error: { type: 'proxy_error', code: 'upstream_reset' } });
  t.match(answer?.head ?? '', /\r\nconnection: close/i, 'the connection is closed rather than the rest of the body read');
  t.same(more, [], 'one answer');
  t.equal(s.up.requests.length, 1, 'not retried');
  t.notOk(s.up.requests[0]!.bodyComplete, 'the upstream never saw a complete body');
  const line = await s.proxy.waitForLog((l) => l.event === 'request');
  t.equal(line.error, 'upstream_reset');
  const metrics = await (await fetch(`${s.proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_upstream_errors_total\{reason="reset"\} 1$/m, 'counted as a reset');
  t.equal((await request(`${s.proxy.url}/v1/models`, { headers: s.auth })).status, 200, 'still serving');
});
