// Was a bug: a request pipelined behind one the proxy refused with `connection: close` (TRACE, an upgrade
// without `Connection: upgrade`, a refusal with its body unread) was still forwarded upstream: Node parses
// what follows and hands it to the handler, though its answer is never written. Bytes a client sent as if a
// tunnel were open became a paid upstream request. Now nothing behind a closing refusal is served.
import t from 'tap';
import { request } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses } from '../helpers/raw-socket';

t.test('nothing pipelined behind a closing refusal reaches the upstream', async (t) => {
  const s = await startSingleTenant(t);
  const key = `X-API-Key: ${s.clientKey}\r\n`;
  const behind = (n: number) => `GET /v1/models/pipelined-${n} HTTP/1.1\r\nHost: x\r\n${key}\r\n`;
  const refused: Array<[string, string, number]> = [
    ['TRACE', `TRACE /v1/models HTTP/1.1\r\nHost: x\r\n${key}\r\n`, 405],
    ['Upgrade without Connection: upgrade', `GET /v1/models HTTP/1.1\r\nHost: x\r\n${key}Upgrade: websocket\r\n\r\n`, 400],
    ['404 with its body unread', `POST /v1/files HTTP/1.1\r\nHost: x\r\n${key}Content-Length: 2\r\n\r\n{}`, 404],
    ['401 with its body unread', `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: wrong-key\r\nContent-Length: 2\r\n\r\n{}`, 401],
  ];
  for (const [i, [name, first, status]] of refused.entries()) {
    const conversation = await openRaw(s.proxy.port);
    conversation.write(first + behind(i) + behind(i));
    await conversation.closed;
    t.same(
      responses(conversation.received()).map((r) => r.status),
      [status],
      `${name}: its refusal, then the connection closed`,
    );
  }
  // Anything the proxy had started to forward would have been under way before this request.
  t.equal((await request(`${s.proxy.url}/v1/models/marker`, { headers: s.auth })).status, 200);
  t.same(
    s.up.requests.map((r) => r.url),
    ['/v1/models/marker'],
    'only the marker request reached the upstream',
  );
});
