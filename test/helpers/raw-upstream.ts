/**
 * An upstream that speaks TLS but no HTTP of its own: it records every byte that arrives after the handshake and
 * answers with whatever bytes the test scripts, so it can send what no real HTTP server library would (malformed
 * responses), or hold a certificate that must not verify (and show what, if anything, reached it).
 *
 * Stable exports:
 *   startRawUpstream(t, opts?)   -> Promise<RawUpstream>; closed in t.teardown
 *     opts.cert                  'server' (the test CA's localhost certificate, default) or 'rogue' (self-signed)
 *     opts.host                  address to listen on (default 127.0.0.1)
 *     opts.answer(head, socket)  called once per request head (bytes up to the first blank line) on a connection
 *     opts.onBody(bytes, socket) for uploads: once a head has arrived, the rest of that connection is a body,
 *                                counted (bytes so far on it, passed per chunk) rather than kept or parsed
 *   RawUpstream                  { url (https://localhost:<port>), port, connections (TCP accepted),
 *                                  handshakes (TLS handshakes completed), plaintext() (every byte received after
 *                                  a handshake, all connections, latin1), close() }
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { REPO_ROOT } from './proxy';

const TLS = join(REPO_ROOT, 'test', 'fixtures', 'tls');

export interface RawUpstreamOptions {
  cert?: 'server' | 'rogue';
  host?: string;
  answer?: (head: string, socket: TLSSocket) => void;
  onBody?: (bytes: number, socket: TLSSocket) => void;
}

export interface RawUpstream {
  url: string;
  port: number;
  connections: number;
  handshakes: number;
  plaintext(): string;
  close(): Promise<void>;
}

export async function startRawUpstream(t: { teardown(fn: () => unknown): void }, opts: RawUpstreamOptions = {}): Promise<RawUpstream> {
  const name = opts.cert ?? 'server';
  const server = createServer({ cert: readFileSync(join(TLS, `${name}.pem`)), key: readFileSync(join(TLS, `${name}-key.pem`)) });
  const sockets = new Set<Socket>();
  let received = '';
  const raw = { connections: 0, handshakes: 0 } as RawUpstream;
  server.on('connection', (socket: Socket) => {
    raw.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => {}); // a client that refuses our certificate is the point of some tests
  server.on('secureConnection', (socket: TLSSocket) => {
    raw.handshakes++;
    socket.on('error', () => {});
    let pending = '';
    let bodyBytes = -1;
    socket.on('data', (chunk: Buffer) => {
      if (bodyBytes >= 0) {
        bodyBytes += chunk.length;
        return opts.onBody!(bodyBytes, socket);
      }
      const text = chunk.toString('latin1');
      received += text;
      pending += text;
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        opts.answer?.(head, socket);
        if (opts.onBody) {
          bodyBytes = Buffer.byteLength(pending, 'latin1');
          return opts.onBody(bodyBytes, socket);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(raw, {
    port,
    url: `https://localhost:${port}`,
    plaintext: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  t.teardown(() => raw.close());
  return raw;
}
