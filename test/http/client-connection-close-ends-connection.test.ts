// RFC 9112 §9.6: after a request with `Connection: close` (or an HTTP/1.0 request without keep-alive), the
// proxy answers it with `Connection: close`, closes, and runs nothing the client pipelined behind it: Node
// parses those bytes as further requests, and the proxy used to send them upstream although their answers could
// never be written.
import t from 'tap';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses } from '../helpers/raw-socket';

t.test('nothing pipelined behind a closing request is run', async (t) => {
  const s = await startSingleTenant(t);
  const get = (path: string, extra = '', version = '1.1') => `GET ${path} HTTP/${version}\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n${extra}\r\n`;
  for (const [name, first] of [
    ['Connection: close', get('/v1/models/first', 'Connection: close\r\n')],
    ['HTTP/1.0', get('/v1/models/first', '', '1.0')],
  ] as const) {
    const before = s.up.requests.length;
    const client = await openRaw(s.proxy.port);
    client.write(first + get('/v1/models/behind') + get('/v1/models/further'));
    await client.closed;
    const answers = responses(client.received());
    t.same(
      answers.map((a) => a.status),
      [200],
      `${name}: one answer`,
    );
    t.match(answers[0]?.head ?? '', /\r\nconnection: close/i, `${name}: it says the connection closes`);
    t.same(
      s.up.requests.slice(before).map((r) => r.url),
      ['/v1/models/first'],
      `${name}: only the first request went upstream`,
    );
  }
});
