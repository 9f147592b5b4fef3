import https from 'node:https';
import { classifyUpstreamError, UpstreamError } from '../http/upstream-errors';
import { ExchangeError } from './errors';

export interface PostTimeouts {
  connectTimeoutMs: number;
  /** The longest silence from the request sent to the whole (small) answer read. */
  firstByteTimeoutMs: number;
  /**
   * The whole exchange, however the bytes trickle: an endpoint sending a byte a second never trips an idle
   * timer, and must not keep a refresh pending forever.
   */
  deadlineMs: number;
}

export interface PostAnswer {
  status: number;
  text: string;
}

/** A token answer is a few KiB at most; more is not one, and is not read into memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One HTTPS POST to a token endpoint, with Node's certificate verification (never turned off: tests trust their
 * CA through NODE_EXTRA_CA_CERTS), the upstream's connect and first-byte timeouts, and no keep-alive: an
 * exchange happens every tens of minutes, and an idle connection to the token endpoint is worth nothing.
 */
export function postOnce(url: string, contentType: string, body: string, timeouts: PostTimeouts): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    let connectTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const deadline = setTimeout(
      () => settle(new ExchangeError('timeout', `The token endpoint did not answer within ${timeouts.deadlineMs} ms.`)),
      timeouts.deadlineMs,
    );
    const settle = (err: Error | undefined, answer?: PostAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(deadline);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(answer!);
    };
    const headers = { 'content-type': contentType, 'content-length': Buffer.byteLength(body), accept: 'application/json', 'user-agent': 'openai-proxy' };
    const req = https.request(url, { method: 'POST', agent: false, headers });
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => settle(new ExchangeError('connect_timeout', 'Connecting to the token endpoint timed out.')), timeouts.connectTimeoutMs);
      socket.once('secureConnect', () => clearTimeout(connectTimer));
    });
    req.setTimeout(timeouts.firstByteTimeoutMs, () => settle(new ExchangeError('timeout', 'The token endpoint did not answer in time.')));
    req.on('error', (err: NodeJS.ErrnoException) => settle(networkError(err)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES)
          return settle(new ExchangeError('malformed', "The token endpoint's answer is too large to be a token.", { status: res.statusCode }));
        chunks.push(chunk);
      });
      res.on('end', () => settle(undefined, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err: NodeJS.ErrnoException) => settle(networkError(err)));
    });
    req.end(body);
  });
}

/** The same words the upstream's errors use (`unreachable`, `tls`, `reset`), so an operator reads one vocabulary. */
function networkError(err: NodeJS.ErrnoException): ExchangeError {
  const classified = classifyUpstreamError(err, false);
  const reason = classified instanceof UpstreamError ? classified.reason : 'reset';
  return new ExchangeError(reason, `The token endpoint could not be reached: ${err.code ?? err.message}.`, {}, { cause: err });
}
