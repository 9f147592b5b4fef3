import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Recorder } from './access-log';
import { MAX_REDACTED_BODY, REDACTED } from './redaction';
import type { SessionStart } from './websocket-relay';

/**
 * The upstream answered the upgrade with an ordinary response (a 401, a 400 for a bad model): it goes back to the
 * client as it came, its status, content type and body (the credential redacted, as in any error answer), and the
 * connection closes: there is no session to relay. A body over the bound is cut there; refusals are small.
 */
export function refuseUpstreamAnswer(start: SessionStart, res: IncomingMessage, secret: string, recorder: Recorder): void {
  const { socket } = start;
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_REDACTED_BODY) chunks.push(chunk);
  });
  res.on('error', () => socket.destroy());
  res.on('end', () => {
    let body = Buffer.concat(chunks).toString('utf8');
    if (secret) body = body.split(secret).join(REDACTED);
    const status = res.statusCode ?? 502;
    const type = res.headers['content-type'] ?? 'application/json';
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
    socket.end(head + body);
    recorder.refused(start.req, { status, endpoint: start.endpoint, client: start.client.name, code: 'upstream_refused_upgrade', startedAt: start.startedAt });
  });
}
