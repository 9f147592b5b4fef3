// The proxy's own errors are JSON in OpenAI's shape with a stable code:
// 404 endpoint_not_allowed, 405 method_not_allowed (CONNECT, TRACE), 400 upgrade_not_supported (WebSocket),
// 413 body_too_large, 431 headers_too_large; nothing is sent upstream for any of them.
import t from 'tap';
import { Readable } from 'node:stream';
import { within } from '../helpers/fake-upstream';
import { request, rawExchange } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const shape = (code: string) => ({ error: { message: String, type: 'proxy_error', code } });
const parse = (body: Buffer) => {
  try {
    return JSON.parse(body.toString());
  } catch {
    return { unparsable: body.toString() };
  }
};

t.test('proxy errors', async (t) => {
  const s = await startSingleTenant(t, { env: { MAX_BODY_BYTES: '1000' } });
  const bodies: string[] = [];
  const key = `X-API-Key: ${s.clientKey}\r\n`;

  const notAllowed = await request(`${s.proxy.url}/v1/files`, { headers: s.auth });
  bodies.push(notAllowed.text);
  t.equal(notAllowed.status, 404);
  t.match(notAllowed.json(), shape('endpoint_not_allowed'));

  for (const [method, target] of [
    ['CONNECT', 'api.openai.com:443'],
    ['TRACE', '/v1/models'],
  ]) {
    const res = await rawExchange(s.proxy.port, `${method} ${target} HTTP/1.1\r\nHost: api.openai.com:443\r\n${key}Connection: close\r\n\r\n`);
    bodies.push(res.body.toString());
    t.equal(res.status, 405, `${method}: 405`);
    t.match(parse(res.body), shape('method_not_allowed'), `${method}: method_not_allowed`);
  }

  const ws = await rawExchange(
    s.proxy.port,
    `GET /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${key}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
  );
  bodies.push(ws.body.toString());
  t.equal(ws.status, 400, 'WebSocket upgrade on an endpoint that speaks none: 400');
  t.match(parse(ws.body), shape('upgrade_not_supported'));
  t.notOk(ws.head.startsWith('HTTP/1.1 101'), 'no switching protocols');

  const big = await request(`${s.proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...s.auth, 'content-type': 'application/json', 'content-length': 2000 },
    body: Buffer.alloc(2000, 0x20),
  }).catch((e: Error) => ({ status: 0, text: String(e), json: () => ({}) }));
  bodies.push(big.text);
  t.equal(big.status, 413, 'declared Content-Length over MAX_BODY_BYTES: 413');
  t.match(big.json(), shape('body_too_large'));

  const hugeHeader = await rawExchange(
    s.proxy.port,
    `GET /v1/models HTTP/1.1\r\nHost: x\r\n${key}X-Big: ${'a'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
  );
  bodies.push(hugeHeader.body.toString());
  t.equal(hugeHeader.status, 431, 'headers over the limit: 431');
  t.match(parse(hugeHeader.body), shape('headers_too_large'));

  t.equal(s.up.requests.length, 0, 'nothing was sent upstream');
  await noKeyLeak(t, s, bodies);
});

t.test('a chunked body that grows over MAX_BODY_BYTES is cut off: 413, and the upstream never gets it whole', async (t) => {
  const s = await startSingleTenant(t, { env: { MAX_BODY_BYTES: '100000' } });
  const chunks = Array.from({ length: 40 }, () => Buffer.alloc(10_000, 0x61));
  const res = await request(`${s.proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...s.auth, 'content-type': 'application/json' },
    body: Readable.from(chunks),
  }).catch((e: Error) => ({ status: 0, text: String(e), json: () => ({}) }));
  t.equal(res.status, 413, 'chunked over the limit: 413');
  t.match(res.json(), shape('body_too_large'));
  t.notOk(
    s.up.requests.some((r) => r.bodyComplete && r.bodyLength > 100_000),
    'no upstream request received the oversized body in full',
  );
  for (const rec of s.up.requests) await within(rec.done, 10_000, 'the upstream request to end');
  t.ok(
    s.up.requests.every((r) => !r.bodyComplete || r.aborted),
    'any upstream request begun was cancelled',
  );
  await noKeyLeak(t, s, [res.text]);
});

t.test('exactly MAX_BODY_BYTES is accepted', async (t) => {
  const s = await startSingleTenant(t, { env: { MAX_BODY_BYTES: '1000' } });
  s.up.handle = (_req, res) => void res.end('{}');
  const res = await request(`${s.proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...s.auth, 'content-length': 1000 },
    body: Buffer.alloc(1000, 0x20),
  });
  t.equal(res.status, 200);
  t.equal(s.up.lastRequest()!.bodyLength, 1000);
  await noKeyLeak(t, s);
});
