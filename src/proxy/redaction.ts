import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Usage } from '../usage/tap';

/**
 * An upstream that echoes the credential it was sent (a compatible server's 401 body, a debug header) must not
 * hand it to the client: exact matches become REDACTED in the response headers, and in the body of a non-2xx
 * answer of at most MAX_REDACTED_BODY bytes. A 2xx body is never held: only error answers pay for this.
 */
export const REDACTED = '[redacted]';
export const MAX_REDACTED_BODY = 64 * 1024;

/** Replaces the secret in every header value, in place; returns the headers. */
export function redactHeaders(headers: OutgoingHttpHeaders, secret: string): OutgoingHttpHeaders {
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') {
      if (value.includes(secret)) headers[name] = value.split(secret).join(REDACTED);
    } else if (Array.isArray(value) && value.some((v) => v.includes(secret))) {
      headers[name] = value.map((v) => v.split(secret).join(REDACTED));
    }
  }
  return headers;
}

/** An error answer whose body can be read as it is: uncompressed, and not announced larger than the bound. */
export function redactableBody(upRes: IncomingMessage): boolean {
  const status = upRes.statusCode ?? 0;
  // A 2xx is not held; a 304 has no body whose length could be corrected.
  if ((status >= 200 && status < 300) || status === 304) return false;
  const encoding = upRes.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') return false;
  const length = upRes.headers['content-length'];
  return length === undefined || Number(length) <= MAX_REDACTED_BODY;
}

/**
 * An error answer held until it is whole, then sent with the secret replaced (and its length corrected). One
 * that turns out larger than the bound (no length was announced) is sent as it is from there on. Same shape as
 * ResponseCopy for the proxied request: bytes counted, no usage (error answers are not billed).
 */
export class HeldErrorResponse {
  bytesOut = 0;
  private chunks: Buffer[] = [];
  private held = 0;

  constructor(
    private readonly upRes: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly secret: Buffer,
    private readonly writeHead: (headers: OutgoingHttpHeaders) => boolean,
    private readonly headers: OutgoingHttpHeaders,
  ) {
    upRes.on('data', this.onData);
    upRes.once('end', this.onEnd);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.held += chunk.length;
    this.chunks.push(chunk);
    if (this.held > MAX_REDACTED_BODY) this.letGo();
  };

  private readonly onEnd = (): void => {
    const body = replaceAll(Buffer.concat(this.chunks), this.secret, Buffer.from(REDACTED));
    this.chunks = [];
    this.headers['content-length'] = body.length;
    if (!this.writeHead(this.headers)) return;
    this.bytesOut = body.length;
    this.res.end(body);
  };

  /** Past the bound: what was held goes out as it came, then the rest streams. */
  private letGo(): void {
    const { upRes, res } = this;
    upRes.off('data', this.onData);
    upRes.off('end', this.onEnd);
    if (!this.writeHead(this.headers)) return;
    for (const chunk of this.chunks) res.write(chunk);
    this.bytesOut = this.held;
    this.chunks = [];
    upRes.pipe(res);
    upRes.on('data', (chunk: Buffer) => {
      this.bytesOut += chunk.length;
    });
  }

  usage(): Usage | undefined {
    return undefined;
  }

  stop(): void {
    this.chunks = [];
  }
}

function replaceAll(body: Buffer, secret: Buffer, replacement: Buffer): Buffer {
  let at = body.indexOf(secret);
  if (at === -1) return body;
  const parts: Buffer[] = [];
  let from = 0;
  for (; at !== -1; at = body.indexOf(secret, from)) {
    parts.push(body.subarray(from, at), replacement);
    from = at + secret.length;
  }
  parts.push(body.subarray(from));
  return Buffer.concat(parts);
}
