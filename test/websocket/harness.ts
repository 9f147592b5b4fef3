/**
 * Real WebSocket peers around startSession: a `ws` WebSocketServer as the upstream, `ws` clients, and between
 * them a test-only HTTP server that takes the client's upgrade, opens the upstream's with http.request, writes
 * the 101 back and hands both sockets to startSession. Everything runs on port 0 and is closed at teardown.
 *
 * Stable exports:
 *   startHarness(t, options?) -> Promise<Harness>
 *     options: { perMessageDeflate (upstream's, default off), tls (upstream over TLS with the test CA), idleTimeoutMs,
 *                closeTimeoutMs, sweep, spy }
 *   Harness: {
 *     connect(clientOptions?) -> Promise<Peers>  a client connected through the proxy, and the upstream's end
 *     texts, unread                              what onServerMessage / onUnreadable heard, in order
 *     ended() -> Promise<SessionOutcome>         the next session outcome
 *   }
 *   Peers: { client, server (ws WebSockets), session, proxyClient, proxyUpstream (the proxy's sockets),
 *            wire: { fromClient, toUpstream, fromUpstream, toClient } chunks seen by the proxy (with spy) }
 *   nextMessage(ws) / nextClose(ws) -> Promise of the next message (data, isBinary) / close (code, reason)
 */
import { readFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage } from 'node:http';
import { createServer as createTlsServer, request as tlsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Test } from 'tap';
import { WebSocket, WebSocketServer, type ClientOptions, type PerMessageDeflateOptions, type RawData } from 'ws';
import { startSession, type Session, type SessionOutcome } from '../../src/websocket/session';
import type { SessionSweep } from '../../src/websocket/sweep';

export interface HarnessOptions {
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  tls?: boolean;
  idleTimeoutMs?: number;
  closeTimeoutMs?: number;
  sweep?: SessionSweep;
  /** Record every chunk the proxy reads and writes. */
  spy?: boolean;
}

export interface Wire {
  fromClient: Buffer[];
  toUpstream: Buffer[];
  fromUpstream: Buffer[];
  toClient: Buffer[];
}

export interface Peers {
  client: WebSocket;
  server: WebSocket;
  session: Session;
  proxyClient: Duplex;
  proxyUpstream: Duplex;
  wire: Wire;
}

export interface Harness {
  connect(clientOptions?: ClientOptions): Promise<Peers>;
  texts: string[];
  unread: Array<[string, boolean]>;
  ended(): Promise<SessionOutcome>;
}

const UPGRADE_HEADERS = ['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'];

export async function startHarness(t: Test, options: HarnessOptions = {}): Promise<Harness> {
  const perMessageDeflate = options.perMessageDeflate ?? false;
  const tlsServer = options.tls
    ? createTlsServer({ cert: readFileSync('test/fixtures/tls/server.pem'), key: readFileSync('test/fixtures/tls/server-key.pem') })
    : undefined;
  const upstream = tlsServer
    ? new WebSocketServer({ server: tlsServer, perMessageDeflate })
    : new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
  if (tlsServer) await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  else await new Promise<void>((resolve) => upstream.once('listening', resolve));
  const upstreamPort = ((tlsServer ?? upstream).address() as AddressInfo).port;
  const serverSides: WebSocket[] = [];
  const serverWaiters: Array<(ws: WebSocket) => void> = [];
  upstream.on('connection', (ws) => {
    const waiter = serverWaiters.shift();
    if (waiter) waiter(ws);
    else serverSides.push(ws);
  });

  const texts: string[] = [];
  const unread: Array<[string, boolean]> = [];
  const outcomes: SessionOutcome[] = [];
  const outcomeWaiters: Array<(outcome: SessionOutcome) => void> = [];
  const sessionWaiters: Array<(peers: Omit<Peers, 'client' | 'server'>) => void> = [];
  const sockets = new Set<Duplex>();

  const proxy = createServer();
  proxy.on('upgrade', (req: IncomingMessage, clientSocket: Duplex, clientHead: Buffer) => {
    sockets.add(clientSocket);
    const headers: Record<string, string> = {};
    for (const name of UPGRADE_HEADERS) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
    const upgrade = (options.tls ? tlsRequest : request)({ host: '127.0.0.1', port: upstreamPort, path: req.url, headers, agent: false });
    upgrade.on('upgrade', (res, upstreamSocket: Duplex, upstreamHead: Buffer) => {
      sockets.add(upstreamSocket);
      const lines = ['HTTP/1.1 101 Switching Protocols'];
      for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      clientSocket.write(`${lines.join('\r\n')}\r\n\r\n`);
      const wire: Wire = { fromClient: [], toUpstream: [], fromUpstream: [], toClient: [] };
      if (options.spy) {
        spyOn(clientSocket, wire.fromClient, wire.toClient);
        spyOn(upstreamSocket, wire.fromUpstream, wire.toUpstream);
        if (upstreamHead.length > 0) wire.fromUpstream.push(Buffer.from(upstreamHead));
        if (clientHead.length > 0) wire.fromClient.push(Buffer.from(clientHead));
      }
      const session = startSession({
        client: clientSocket,
        clientHead,
        upstream: upstreamSocket,
        upstreamHead,
        extensions: res.headers['sec-websocket-extensions'],
        idleTimeoutMs: options.idleTimeoutMs ?? 0,
        ...(options.closeTimeoutMs !== undefined ? { closeTimeoutMs: options.closeTimeoutMs } : {}),
        ...(options.sweep !== undefined ? { sweep: options.sweep } : {}),
        onServerMessage: (text) => texts.push(text),
        onUnreadable: (reason, stopped) => unread.push([reason, stopped]),
        onEnd: (outcome) => {
          const waiter = outcomeWaiters.shift();
          if (waiter) waiter(outcome);
          else outcomes.push(outcome);
        },
      });
      sessionWaiters.shift()?.({ session, proxyClient: clientSocket, proxyUpstream: upstreamSocket, wire });
    });
    upgrade.on('response', (res) => clientSocket.end(`HTTP/1.1 ${res.statusCode} Upstream Refused\r\nConnection: close\r\n\r\n`));
    upgrade.on('error', () => clientSocket.destroy());
    upgrade.end();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyPort = (proxy.address() as AddressInfo).port;
  const clients: WebSocket[] = [];

  t.teardown(async () => {
    for (const client of clients) client.terminate();
    for (const socket of sockets) socket.destroy();
    for (const ws of upstream.clients) ws.terminate();
    await new Promise((resolve) => upstream.close(resolve));
    if (tlsServer) await new Promise((resolve) => tlsServer.close(resolve));
    await new Promise((resolve) => proxy.close(resolve));
  });

  return {
    texts,
    unread,
    async connect(clientOptions?: ClientOptions): Promise<Peers> {
      const proxied = new Promise<Omit<Peers, 'client' | 'server'>>((resolve) => sessionWaiters.push(resolve));
      const server = new Promise<WebSocket>((resolve) => {
        const ready = serverSides.shift();
        if (ready) resolve(ready);
        else serverWaiters.push(resolve);
      });
      const client = new WebSocket(`ws://127.0.0.1:${proxyPort}/v1/realtime?model=gpt-realtime`, clientOptions);
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once('open', resolve);
        client.once('error', reject);
      });
      return { client, server: await server, ...(await proxied) };
    },
    ended(): Promise<SessionOutcome> {
      const done = outcomes.shift();
      if (done) return Promise.resolve(done);
      return new Promise((resolve) => outcomeWaiters.push(resolve));
    },
  };
}

/** Records what the proxy reads from and writes to `socket`, without changing either. */
function spyOn(socket: Duplex, read: Buffer[], written: Buffer[]): void {
  socket.on('data', (chunk: Buffer) => read.push(Buffer.from(chunk)));
  const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
  (socket as { write: (chunk: Buffer) => boolean }).write = (chunk: Buffer) => {
    written.push(Buffer.from(chunk));
    return write(chunk);
  };
}

export function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: RawData, isBinary: boolean) => resolve({ data: toBuffer(data), isBinary })));
}

export function nextClose(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
