/**
 * A fake OpenAI WebSocket upstream over HTTPS (the test CA's localhost certificate), on port 0: a real `ws`
 * server answering upgrades on /v1/realtime and /v1/responses, as OpenAI's Realtime and Responses WebSocket
 * endpoints do.
 *
 * Stable exports:
 *   startFakeRealtime(t, opts?)  -> Promise<FakeRealtime>; closed in t.teardown
 *     opts.perMessageDeflate     offer/accept permessage-deflate (default off)
 *     opts.refuse                answer upgrades with this status and JSON body instead (e.g. 401)
 *   FakeRealtime                 { url, upgrades (each upgrade request's url and headers), sockets (server-side
 *                                  ws of each session, in order), nextSession() -> Promise<WebSocket>, close() }
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';

const TLS = join(__dirname, '..', 'fixtures', 'tls');

export interface FakeRealtime {
  url: string;
  upgrades: Array<{ url: string; headers: IncomingHttpHeaders }>;
  sockets: WebSocket[];
  nextSession(): Promise<WebSocket>;
  close(): Promise<void>;
}

export interface FakeRealtimeOptions {
  perMessageDeflate?: boolean;
  refuse?: { status: number; body: unknown };
}

export async function startFakeRealtime(t: { teardown(fn: () => unknown): void }, opts: FakeRealtimeOptions = {}): Promise<FakeRealtime> {
  const server = createServer({ cert: readFileSync(join(TLS, 'server.pem')), key: readFileSync(join(TLS, 'server-key.pem')) });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: opts.perMessageDeflate ?? false,
    handleProtocols: (offered) => [...offered][0] ?? false,
  });
  const waiting: Array<(ws: WebSocket) => void> = [];
  const fake: FakeRealtime = {
    url: '',
    upgrades: [],
    sockets: [],
    nextSession: () => new Promise((resolve) => waiting.push(resolve)),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('upgrade', (req, socket, head) => {
    fake.upgrades.push({ url: req.url ?? '', headers: req.headers });
    if (opts.refuse) {
      const body = JSON.stringify(opts.refuse.body);
      socket.end(`HTTP/1.1 ${opts.refuse.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      fake.sockets.push(ws);
      waiting.shift()?.(ws);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `https://localhost:${(server.address() as AddressInfo).port}`;
  t.teardown(() => fake.close());
  return fake;
}
