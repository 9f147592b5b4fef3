/**
 * Plain HTTP clients for tests that need exact bytes, headers, aborts or malformed input.
 *
 * Stable exports:
 *   request(url, opts?)           -> Promise<HttpResult>  node:http, body buffered, no keep-alive
 *     opts: { method, headers, body: string | Buffer | Readable, timeoutMs }
 *   HttpResult                    { status, headers, rawHeaders, body: Buffer, text, json() }
 *   rawExchange(port, bytes, opts?) -> Promise<RawResult>  node:net: writes `bytes` as-is, reads until the
 *                                    server closes (or `timeoutMs`); for request targets Node would reject
 *   RawResult                     { raw, status, head, headers (lower-case map), body, closedByServer }
 *   decodeChunked(buf)            decodes a chunked transfer-coding body
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
  json(): any;
}

export interface RequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer | Readable;
  timeoutMs?: number;
}

export function request(url: string, opts: RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`request timed out after ${opts.timeoutMs} ms`)));
    if (opts.body instanceof Readable) opts.body.pipe(req);
    else req.end(opts.body);
  });
}

export interface RawResult {
  raw: Buffer;
  status: number;
  head: string;
  headers: Record<string, string>;
  body: Buffer;
  closedByServer: boolean;
}

export function rawExchange(port: number, bytes: string | Buffer, opts: { timeoutMs?: number; host?: string } = {}): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, opts.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const timer = setTimeout(() => socket.destroy(), opts.timeoutMs ?? 5000);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      closedByServer = true;
      socket.end();
    });
    socket.on('error', (err) => {
      if (chunks.length === 0) reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks), closedByServer));
    });
  });
}

function parseRaw(raw: Buffer, closedByServer: boolean): RawResult {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw.toString('latin1') : raw.subarray(0, split).toString('latin1');
  const lines = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = split === -1 ? Buffer.alloc(0) : raw.subarray(split + 4);
  if (headers['transfer-encoding'] === 'chunked') body = decodeChunked(body);
  else if (headers['content-length']) body = body.subarray(0, Number(headers['content-length']));
  return { raw, status, head, headers, body, closedByServer };
}

export function decodeChunked(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const eol = buf.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (!size) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
