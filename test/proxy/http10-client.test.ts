// HTTP/1.0 clients. A 1.0 client (no Host, no chunked encoding, no keep-alive unless asked) is
// proxied like any other: the upstream gets an ordinary HTTP/1.1 request with its own Host; the answer is framed
// for 1.0 (a stream without chunked encoding, ended by closing the connection), and keep-alive works when asked.
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { rawExchange } from '../helpers/http';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses } from '../helpers/raw-socket';

t.test('HTTP/1.0 request without Host: proxied as HTTP/1.1 with the upstream Host, answer framed for 1.0', async (t) => {
  const s = await startSingleTenant(t);
  const answer = await rawExchange(
    s.proxy.port,
    `POST /v1/chat/completions HTTP/1.0\r\nX-API-Key: ${s.clientKey}\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"model":"gpt-4.1-mini"}   `,
  );
  t.match(answer.head, /^HTTP\/1\.[01] 200 /, '200');
  t.notMatch(answer.head, /transfer-encoding/i, 'no chunked encoding for a 1.0 client');
  t.match(JSON.parse(answer.body.toString()), { object: 'chat.completion' }, 'the whole body');
  t.ok(answer.closedByServer, 'the connection is closed after the answer (no keep-alive asked)');
  const rec = s.up.lastRequest()!;
  t.equal(rec.headers.host, `localhost:${s.up.port}`, 'the upstream gets its own Host');
  t.equal(rec.body.toString(), '{"model":"gpt-4.1-mini"}   ', 'the body arrived unchanged');
});

t.test('HTTP/1.0 and a stream: raw events, ended by closing the connection', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.slowSse(5, 10);
  const answer = await rawExchange(
    s.proxy.port,
    `POST /v1/chat/completions HTTP/1.0\r\nX-API-Key: ${s.clientKey}\r\nContent-Length: 15\r\n\r\n{"stream":true}`,
  );
  t.match(answer.head, /^HTTP\/1\.[01] 200 /);
  t.notMatch(answer.head, /transfer-encoding/i, 'no chunked encoding');
  t.equal(
    answer.raw.toString().split('\r\n\r\n').slice(1).join('\r\n\r\n'),
    `${[0, 1, 2, 3, 4].map((i) => `data: {"i":${i}}\n\n`).join('')}data: [DONE]\n\n`,
    'exactly the events, unframed',
  );
  t.ok(answer.closedByServer, 'the end of the stream is the end of the connection');
});

t.test('HTTP/1.0 with Connection: keep-alive: two requests on one connection', async (t) => {
  const s = await startSingleTenant(t);
  const conversation = await openRaw(s.proxy.port);
  t.teardown(() => conversation.destroy());
  const get = `GET /v1/models HTTP/1.0\r\nX-API-Key: ${s.clientKey}\r\nConnection: keep-alive\r\n\r\n`;
  conversation.write(get);
  await conversation.waitFor(/\r\n\r\n\{.*\}$/s, 10_000, 'the first answer');
  t.notOk(conversation.isClosed(), 'still open after the first answer');
  conversation.write(get);
  await conversation.waitFor(/\}HTTP\/1\.1 200 .*\r\n\r\n\{.*\}$/s, 10_000, 'the second answer');
  t.same(
    responses(conversation.received()).map((r) => r.status),
    [200, 200],
  );
  t.equal(s.up.requests.length, 2);
});
