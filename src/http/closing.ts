import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Client connections the proxy is closing, and how it closes them.
 *
 * Node parses requests pipelined behind a refused one and hands them to the handler even though their answers
 * will never be written: they must not go upstream either, since the proxy closes a connection precisely when it
 * no longer trusts where one request ends and the next begins (or the client asked it to close).
 */
const closing = new WeakSet<object>();

/** Whether an earlier answer on this request's connection is closing it: then the request is not served. */
export function connectionClosing(req: IncomingMessage): boolean {
  return closing.has(req.socket);
}

/** A closing connection discards what the client still sends for this long in silence (nginx's lingering_timeout)... */
export const LINGER_IDLE_MS = 5_000;
/** ...and this long at most (nginx's lingering_time). */
export const LINGER_MAX_MS = 30_000;

/**
 * Closes the connection once `res` is written, with a lingering close (RFC 9112 §9.6). An answer given before
 * the client finished uploading (a refusal, an upstream's early 413 or 401) is followed by request bytes the
 * proxy never reads; closing a socket with unread bytes makes the kernel send a reset, and a reset can destroy
 * the answer before the client has read it. So the proxy sends its FIN after the answer and keeps reading and
 * discarding until the client closes its side, goes quiet, or the time is up; only then is the socket closed.
 */
export function closeAfter(res: ServerResponse): void {
  const socket = res.req.socket;
  closing.add(socket);
  // Node's server ends a `Connection: close` response with socket.destroySoon(): FIN, then close as soon as
  // the write side is flushed, unread bytes or not. This socket closes the lingering way instead.
  socket.destroySoon = lingerThenDestroy;
}

/** Marks the connection closing without an answer of the proxy's own (the client's `Connection: close`). */
export function markClosing(req: IncomingMessage): void {
  closing.add(req.socket);
}

/** Whether the proxy has already answered on this socket the way that closes it. */
export function isClosing(socket: Socket): boolean {
  return closing.has(socket);
}

/** Answers on a socket Node's HTTP server has given up (a parse error, CONNECT, an upgrade), then lingers. */
export function refuseLingering(socket: Socket, answer: string): void {
  closing.add(socket);
  socket.end(answer);
  // CONNECT and upgrade sockets are handed over paused; the rest of what the client sends must still be read.
  socket.resume();
  linger(socket);
}

/**
 * Node's parser refused bytes pipelined behind a request whose answer is still being written: that answer goes
 * out whole first, then the connection closes; the refused bytes get no answer of their own.
 */
export function closeAfterAnswer(res: ServerResponse): void {
  const socket = res.req.socket;
  if (closing.has(socket)) return;
  if (!res.headersSent) {
    res.setHeader('connection', 'close');
    return closeAfter(res);
  }
  closing.add(socket);
  res.once('finish', () => lingerThenDestroy.call(socket));
}

function lingerThenDestroy(this: Socket): void {
  this.end();
  linger(this);
}

function linger(socket: Socket): void {
  const destroy = () => socket.destroy();
  // Reading goes on (through Node's parser, when it still holds the socket); silence ends it.
  socket.setTimeout(LINGER_IDLE_MS, destroy);
  const cap = setTimeout(destroy, LINGER_MAX_MS).unref();
  socket.once('close', () => clearTimeout(cap));
}
