/**
 * A raw HTTP/1.1 client that sends many requests one after another over keep-alive connections (node:net),
 * with request targets Node's own client would refuse. Reconnects when the server closes the connection.
 *
 * Stable exports:
 *   RawKeepAliveClient(port)        .send(head: string | Buffer, timeoutMs?) -> Promise<RawAnswer>; .close()
 *                                   `head` is the whole request (request line, headers, blank line, body);
 *                                   .connections counts the TCP connections opened so far; answers to HEAD
 *                                   and 204/304 answers have no body, whatever their headers say
 *   RawAnswer                       { status, headers, body, closed }; status 0 when the server closed the
 *                                   connection without answering
 */
import { connect, type Socket } from 'node:net';
import { decodeChunked } from './http';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The server closed the connection after (or instead of) this answer. */
  closed: boolean;
}

export class RawKeepAliveClient {
  connections = 0;
  private socket: Socket | undefined;
  private buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(private readonly port: number) {}

  private async open(): Promise<Socket> {
    if (this.socket && !this.ended && !this.socket.destroyed) return this.socket;
    this.socket?.destroy();
    const socket = connect(this.port, '127.0.0.1');
    this.connections++;
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.ended = false;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    const onEnd = () => {
      if (this.socket === socket) this.ended = true;
      this.wake?.();
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return socket;
  }

  async send(request: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
    const socket = await this.open();
    socket.write(request);
    const head = String(request.slice(0, 5)) === 'HEAD ';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = this.parse(head);
      if (answer) return answer;
      if (this.ended) {
        this.socket?.destroy();
        return { status: 0, headers: {}, body: Buffer.alloc(0), closed: true };
      }
      if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
      this.wake = undefined;
    }
  }

  /** One complete response from the buffer (content-length or chunked), or undefined if not yet complete. */
  private parse(toHead: boolean): RawAnswer | undefined {
    const split = this.buffer.indexOf('\r\n\r\n');
    if (split === -1) return undefined;
    const lines = this.buffer.subarray(0, split).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const rest = this.buffer.subarray(split + 4);
    let body: Buffer;
    let used: number;
    if (toHead || status === 204 || status === 304) {
      used = 0;
      body = Buffer.alloc(0);
    } else if (headers['transfer-encoding']?.includes('chunked')) {
      const end = rest.indexOf('\r\n0\r\n\r\n');
      const start = rest.subarray(0, 3).toString('latin1') === '0\r\n' ? 0 : -1;
      if (end === -1 && start === -1) return this.ended ? this.cut(status, headers, rest) : undefined;
      used = start === 0 ? 5 : end + 7;
      body = decodeChunked(rest.subarray(0, used));
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (rest.length < length) return this.ended ? this.cut(status, headers, rest) : undefined;
      used = length;
      body = rest.subarray(0, length);
    } else {
      if (!this.ended) return undefined;
      used = rest.length;
      body = rest;
    }
    this.buffer = rest.subarray(used);
    const closed = this.ended || /close/i.test(headers.connection ?? '');
    if (closed) {
      this.socket?.destroy();
      this.ended = true;
    }
    return { status, headers, body, closed };
  }

  private cut(status: number, headers: Record<string, string>, rest: Buffer): RawAnswer {
    this.buffer = Buffer.alloc(0);
    this.socket?.destroy();
    return { status, headers, body: rest, closed: true };
  }

  close(): void {
    this.socket?.destroy();
  }
}
