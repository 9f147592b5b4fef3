/**
 * A raw TCP conversation with the proxy, for tests that must write part of a request, wait for what the proxy
 * says, then write more (Expect: 100-continue, trickled bodies, pipelining).
 *
 * Stable exports:
 *   openRaw(port)        -> Promise<RawConversation> (connected)
 *   RawConversation      { write(bytes), received() (latin1 text so far), waitFor(pattern, timeoutMs?, what?)
 *                          (resolves once `pattern` matches what was received, or the connection closed; rejects
 *                          after timeoutMs), closed (resolves when the connection closed), isClosed(), destroy() }
 *   responses(text)      -> { status, head, body }[]: the HTTP responses in `text`, in order (Content-Length or
 *                           chunked bodies; 1xx interim responses included)
 */
import { connect, type Socket } from 'node:net';
import { within } from './fake-upstream';

export interface RawConversation {
  write(bytes: string | Buffer): void;
  received(): string;
  waitFor(pattern: RegExp, timeoutMs?: number, what?: string): Promise<void>;
  closed: Promise<void>;
  isClosed(): boolean;
  destroy(): void;
}

export async function openRaw(port: number): Promise<RawConversation> {
  const socket: Socket = connect(port, '127.0.0.1');
  let text = '';
  let isClosed = false;
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const wake of waiters) wake();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      isClosed = true;
      for (const wake of waiters) wake();
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    write: (bytes) => void (socket.writable && socket.write(bytes)),
    received: () => text,
    waitFor(pattern, timeoutMs = 10_000, what = String(pattern)) {
      const seen = new Promise<void>((resolve) => {
        const check = () => {
          if (!pattern.test(text) && !isClosed) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
      return within(seen, timeoutMs, what);
    },
    closed,
    isClosed: () => isClosed,
    destroy: () => socket.destroy(),
  };
}

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

export function responses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/')) {
    const split = rest.indexOf('\r\n\r\n');
    if (split === -1) break;
    const head = rest.slice(0, split);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    rest = rest.slice(split + 4);
    let body = '';
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (status >= 100 && status < 200) body = '';
    else if (/\r\ntransfer-encoding: *chunked/i.test(head)) [body, rest] = unchunk(rest);
    else if (length) [body, rest] = [rest.slice(0, Number(length[1])), rest.slice(Number(length[1]))];
    else [body, rest] = [rest, ''];
    out.push({ status, head, body });
  }
  return out;
}

function unchunk(text: string): [string, string] {
  let body = '';
  let at = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', at);
    if (eol === -1) return [body, ''];
    const size = parseInt(text.slice(at, eol), 16);
    if (!size) return [body, text.slice(eol + 4)];
    body += text.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}
