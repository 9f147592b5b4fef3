// No input crashes the process. Garbage, broken framing, bad escapes, lying lengths
// and half-sent requests each get the 4xx JSON error named here (or, for hang-ups, a closed socket), nothing
// goes upstream but the one valid request, and the proxy keeps serving afterwards.
import t from 'tap';
import { connect } from 'node:net';
import { handlers, sleep } from '../helpers/fake-upstream';
import { rawExchange, request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('malformed input does not crash the proxy', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.echo();
  const key = `X-API-Key: ${s.clientKey}\r\n`;
  // [name, bytes, the answer expected: a status and the JSON error code, or 'forwarded' for the one valid request]
  const inputs: Array<[string, string | Buffer, number, string]> = [
    ['garbage', 'GARBAGE\r\n\r\n', 400, 'bad_request'],
    ['binary noise', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), 400, 'bad_request'],
    ['TLS ClientHello on the plain port', Buffer.from('16030100a5010000a10303', 'hex'), 400, 'bad_request'],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'bad_request'],
    ['bad header name', `GET /v1/models HTTP/1.1\r\nHost: x\r\n${key}Bad Header: x\r\n\r\n`, 400, 'bad_request'],
    ['NUL in header value', `GET /v1/models HTTP/1.1\r\nHost: x\r\n${key}X-A: a\0b\r\n\r\n`, 400, 'bad_request'],
    ['raw NUL in the path', `GET /v1/models\0/x HTTP/1.1\r\nHost: x\r\n${key}\r\n`, 400, 'bad_request'],
    ['bad percent escape', `GET /v1/models/%zz HTTP/1.1\r\nHost: x\r\n${key}Connection: close\r\n\r\n`, 404, 'endpoint_not_allowed'],
    ['lone percent', `GET /v1/models/% HTTP/1.1\r\nHost: x\r\n${key}Connection: close\r\n\r\n`, 404, 'endpoint_not_allowed'],
    ['encoded NUL', `GET /v1/models/%00 HTTP/1.1\r\nHost: x\r\n${key}Connection: close\r\n\r\n`, 404, 'endpoint_not_allowed'],
    ['overlong UTF-8', `GET /v1/models/%c0%ae%c0%ae/files HTTP/1.1\r\nHost: x\r\n${key}Connection: close\r\n\r\n`, 404, 'endpoint_not_allowed'],
    ['path over 2048 bytes', `GET /v1/models/${'a'.repeat(3000)} HTTP/1.1\r\nHost: x\r\n${key}Connection: close\r\n\r\n`, 404, 'endpoint_not_allowed'],
    [
      'path over the 16 KiB head limit',
      `GET /v1/models/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n${key}Connection: close\r\n\r\n`,
      431,
      'headers_too_large',
    ],
    ['bad chunk size', `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${key}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, 400, 'bad_request'],
    ['negative content-length', `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${key}Content-Length: -5\r\n\r\n{}`, 400, 'bad_request'],
    ['two content-lengths', `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${key}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, 400, 'bad_request'],
    [
      'CL and TE together',
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${key}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
      'bad_request',
    ],
    ['HTTP/1.0 without Host', `GET /v1/models HTTP/1.0\r\n${key}\r\n`, 200, 'forwarded'],
    ['unknown method', `BREW /v1/models HTTP/1.1\r\nHost: x\r\n${key}Connection: close\r\n\r\n`, 501, 'method_not_implemented'],
    ['empty key header', `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key:\r\nAuthorization: Bearer\r\nConnection: close\r\n\r\n`, 401, 'unauthorized'],
    ['two keys', `GET /v1/models HTTP/1.1\r\nHost: x\r\n${key}${key}Connection: close\r\n\r\n`, 401, 'unauthorized'],
    [
      'non-latin1 key',
      Buffer.concat([
        Buffer.from('GET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: '),
        Buffer.from('ключ\u{1F511}', 'utf8'),
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]),
      401,
      'unauthorized',
    ],
  ];
  const bodies: string[] = [];
  for (const [name, bytes, status, code] of inputs) {
    const before = s.up.requests.length;
    const res = await rawExchange(s.proxy.port, bytes, { timeoutMs: 5000 });
    if (code !== 'forwarded') bodies.push(res.body.toString()); // the echo of a forwarded one holds the upstream's own headers
    t.equal(res.status, status, `${name}: ${status}`);
    t.equal(s.up.requests.length - before, code === 'forwarded' ? 1 : 0, `${name}: ${code === 'forwarded' ? 'forwarded once' : 'nothing sent upstream'}`);
    if (code !== 'forwarded') t.equal(errorCode(res.body.toString()), code, `${name}: JSON error ${code}`);
    t.equal(s.proxy.child.exitCode, null, `${name}: still running`);
  }

  // Lying Content-Length: promise 1000 bytes, send 10, hang up.
  await new Promise<void>((resolve) => {
    const socket = connect(s.proxy.port, '127.0.0.1', () => {
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${key}Content-Length: 1000\r\n\r\n0123456789`);
      setTimeout(() => socket.destroy(), 200);
    });
    socket.on('close', () => resolve());
    socket.on('error', () => {});
  });
  // Half a request line, then hang up.
  await new Promise<void>((resolve) => {
    const socket = connect(s.proxy.port, '127.0.0.1', () => {
      socket.write('POST /v1/chat/compl');
      setTimeout(() => socket.destroy(), 100);
    });
    socket.on('close', () => resolve());
    socket.on('error', () => {});
  });
  await sleep(300);
  t.equal(s.proxy.child.exitCode, null, 'still running after hang-ups');
  t.equal(s.up.requests.length, 1, 'of all of it, only the valid HTTP/1.0 request went upstream');
  const health = await request(`${s.proxy.url}/health`);
  t.equal(health.status, 200, 'still serving /health');
  const models = await request(`${s.proxy.url}/v1/models`, { headers: s.auth });
  t.equal(models.status, 200, 'still proxying');
  t.notMatch(s.proxy.stderr, /uncaught|unhandled|TypeError|RangeError/i, 'no crash traces on stderr');
  t.notOk(
    s.proxy.logs.some((l) => l.level === 'error' && /uncaught|unhandled/i.test(String(l.event))),
    'no uncaught-error events',
  );
  await noKeyLeak(t, s, bodies);
});

function errorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body);
    return parsed.error === 'unauthorized' ? 'unauthorized' : parsed.error?.type === 'proxy_error' ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}
