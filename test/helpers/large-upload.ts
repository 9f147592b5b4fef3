/**
 * A Node http client uploading a large body as fast as the proxy takes it, as an SDK sending an audio file
 * would, for tests of answers given before the upload ended.
 *
 * Stable exports:
 *   uploadAndRead(port, path, headers, bytes) -> Promise<string>: `<status> <body>` of the answer it read,
 *       or `no answer: <code>` / `response cut: <code>` when the connection failed first
 */
import { request, type OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';

export function uploadAndRead(port: number, path: string, headers: OutgoingHttpHeaders, bytes: number): Promise<string> {
  return new Promise((resolve) => {
    let sent = 0;
    const piece = Buffer.alloc(64 * 1024, 0x61);
    const body = new Readable({
      read: () => {
        if (sent >= bytes) return void body.push(null);
        sent += piece.length;
        body.push(piece);
      },
    });
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => resolve(`${res.statusCode} ${text}`));
      res.on('error', (err: NodeJS.ErrnoException) => resolve(`response cut: ${err.code}`));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(`no answer: ${err.code}`));
    body.pipe(req);
  });
}
