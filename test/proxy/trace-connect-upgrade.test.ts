// Path tricks: CONNECT, TRACE and protocol upgrades (WebSocket on an endpoint that speaks none, h2c), with a
// valid key and on an allowed path, are refused in JSON (405 / 400) with the connection closed, never switched (no 101), and
// nothing is forwarded: neither the request nor the bytes a client sends after it as if a tunnel were open.
// (proxy-errors.test.ts checks the basic CONNECT / TRACE / WebSocket answers; this adds what follows them.)
import t from 'tap';
import { request } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { expectRefused } from '../helpers/refusal';

t.test('CONNECT, TRACE and upgrades: refused, nothing forwarded, nothing tunnelled', async (t) => {
  const s = await startSingleTenant(t);
  const key = `X-API-Key: ${s.clientKey}\r\n`;
  const after = `GET /v1/models/tunnelled HTTP/1.1\r\nHost: x\r\n${key}\r\n`;
  const wsFrame = Buffer.from('818c0000000048656c6c6f20776f726c6421', 'hex').toString('latin1');
  const cases: Array<[string, string, number, string]> = [
    ['CONNECT to another host', `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n${key}\r\n${after}`, 405, 'method_not_allowed'],
    [
      'CONNECT to the upstream',
      `CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n${key}\r\n\x16\x03\x01\x00\xa5\x01\x00\x00\xa1`,
      405,
      'method_not_allowed',
    ],
    ['TRACE', `TRACE /v1/models HTTP/1.1\r\nHost: x\r\n${key}Max-Forwards: 0\r\n\r\n${after}`, 405, 'method_not_allowed'],
    ['TRACE with a body', `TRACE /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${key}Content-Length: 2\r\n\r\n{}${after}`, 405, 'method_not_allowed'],
    [
      'WebSocket on an endpoint that speaks none',
      `GET /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${key}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n${wsFrame}`,
      400,
      'upgrade_not_supported',
    ],
    [
      'WebSocket on a POST with a body',
      `POST /v1/responses HTTP/1.1\r\nHost: x\r\n${key}Connection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 2\r\n\r\n{}${after}`,
      400,
      'upgrade_not_supported',
    ],
    [
      'h2c upgrade',
      `GET /v1/models HTTP/1.1\r\nHost: x\r\n${key}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n${after}`,
      400,
      'upgrade_not_supported',
    ],
    ['Upgrade without Connection: upgrade', `GET /v1/models HTTP/1.1\r\nHost: x\r\n${key}Upgrade: websocket\r\n\r\n${after}`, 400, 'upgrade_not_supported'],
  ];
  for (const [name, bytes, status, code] of cases) await expectRefused(t, s, name, Buffer.from(bytes, 'latin1'), { status, code });
  // Anything the proxy had started to forward would have been under way before this request.
  t.equal((await request(`${s.proxy.url}/v1/models/marker`, { headers: s.auth })).status, 200);
  t.same(
    s.up.requests.map((r) => r.url),
    ['/v1/models/marker'],
    'nothing else reached the upstream, tunnelled bytes included',
  );
});
