import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { closeAfter, refuseLingering } from './closing';
import type { ProxyError } from './errors';

/**
 * Whether body bytes may still be on their way: an early answer must then close the connection rather than
 * read a body nobody wants. Not `!req.complete` alone: Node marks a bodyless request complete only after its
 * handler ran, so every refused GET would close its keep-alive connection and drop requests pipelined behind it.
 */
export function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The 401 body of the proxy's first releases, kept as it was so existing clients keep matching on it. */
const UNAUTHORIZED_BODY = '{"error":"unauthorized"}';

export function errorBody(err: ProxyError): string {
  return JSON.stringify({ error: { message: err.message, type: 'proxy_error', code: err.code } });
}

/**
 * The one place the proxy answers with its own error: a status and a JSON body while nothing has been sent,
 * otherwise the connection is destroyed so a cut response never looks complete.
 */
export function sendError(res: ServerResponse, err: ProxyError, closeConnection = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  if (err.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(err.retryAfterSeconds));
  if (err.retry === false) res.setHeader('x-should-retry', 'false');
  sendJson(res, err.status, errorBody(err), closeConnection);
}

export function sendUnauthorized(res: ServerResponse, closeConnection: boolean): void {
  sendJson(res, 401, UNAUTHORIZED_BODY, closeConnection);
}

export function sendJson(res: ServerResponse, status: number, body: string, closeConnection: boolean): void {
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (closeConnection) {
    headers.connection = 'close';
    closeAfter(res);
  }
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Answers with the error on a socket no ServerResponse holds (a parse error, CONNECT, an upgrade), then closes
 * it: lingering (reading what the client still sends) unless `linger` is false.
 */
export function refuseSocket(socket: Socket, err: ProxyError, linger = true): void {
  const extra =
    (err.retryAfterSeconds === undefined ? '' : `retry-after: ${err.retryAfterSeconds}\r\n`) + (err.retry === false ? 'x-should-retry: false\r\n' : '');
  answerSocket(socket, err.status, errorBody(err), extra, linger);
}

/** The 401 of section "Errors", on a socket: the body existing clients match on. */
export function refuseSocketUnauthorized(socket: Socket): void {
  answerSocket(socket, 401, UNAUTHORIZED_BODY, '', true);
}

/** `extraHeaders`: whole header lines, each ending in CRLF. */
export function answerSocket(socket: Socket, status: number, body: string, extraHeaders: string, linger: boolean): void {
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}connection: close\r\n\r\n`;
  if (linger) return refuseLingering(socket, head + body);
  socket.end(head + body);
  socket.destroySoon();
}
