// Upstream faults: an upstream that stops reading the request body altogether. Backpressure holds the
// client back (upstream-slow-reader-backpressure.test.ts); after UPSTREAM_IDLE_TIMEOUT_MS without progress the
// proxy gives up: 504 upstream_timeout on a connection it then closes, the upstream request is cancelled, the
// stall is counted as reason "idle_timeout", and the proxy keeps serving.
import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { within } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses } from '../helpers/raw-socket';

const MIB = 1024 * 1024;

t.test('upstream stops reading the body: 504 upstream_timeout, upstream cancelled', async (t) => {
  const s = await startSingleTenant(t, { env: { UPSTREAM_IDLE_TIMEOUT_MS: '1000' }, upstream: { keepBodyBytes: 4096 } });
  let stalled: IncomingMessage | undefined;
  s.up.server.prependListener('request', (req: IncomingMessage) => {
    let read = 0;
    req.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read >= MIB && !stalled) req.pause(); // and does not resume while the proxy waits
      if (read >= MIB) stalled = req;
    });
  });
  const client = await openRaw(s.proxy.port);
  client.write(
    `POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${90 * MIB}\r\n\r\n`,
  );
  // Offers the body as fast as the proxy takes it (the client socket's own buffer is bounded by this loop).
  const piece = Buffer.alloc(64 * 1024, 0x62);
  let offered = 0;
  while (!client.isClosed() && !client.received() && offered < 80 * MIB) {
    client.write(piece);
    offered += piece.length;
    await new Promise((resolve) => setTimeout(resolve, offered > 16 * MIB ? 20 : 0));
  }
  await within(client.closed, 30_000, 'the client connection to be closed').catch((err: Error) => t.fail(err.message));
  const [answer] = responses(client.received());
  t.equal(answer?.status, 504, '504');
  t.match(JSON.parse(answer?.body || '{}'), { error: { type: 'proxy_error', code: 'upstream_timeout' } });
  stalled?.resume(); // only now can the upstream read on and find its connection gone
  const rec = s.up.lastRequest()!;
  await within(rec.done, 10_000, 'the upstream request to end');
  t.ok(rec.aborted && !rec.bodyComplete, 'the upstream request was cancelled without a complete body');
  const metrics = await (await fetch(`${s.proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_upstream_errors_total\{reason="idle_timeout"\} 1$/m, 'counted as an idle timeout');
  t.equal((await request(`${s.proxy.url}/v1/models`, { headers: s.auth })).status, 200, 'still serving');
});
