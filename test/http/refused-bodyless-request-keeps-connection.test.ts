// Was a bug: every 404 and 401 closed the client's connection, even for a GET with no body, because the
// proxy asked `req.complete`, which Node sets only after the handler has run. A keep-alive client (every SDK)
// lost its connection on each refusal, and requests pipelined behind a refused one were dropped unanswered.
// Now only a refusal that leaves body bytes unread closes the connection.
import t from 'tap';
import { randomKey } from '../helpers/proxy';
import { startSingleTenant } from '../helpers/stack';
import { RawKeepAliveClient } from '../helpers/raw-client';
import { openRaw, responses } from '../helpers/raw-socket';

t.test('refused GETs keep the connection open; the next request on it is served', async (t) => {
  const s = await startSingleTenant(t);
  const client = new RawKeepAliveClient(s.proxy.port);
  t.teardown(() => client.close());
  const get = (path: string, key: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\n\r\n`;
  const answers = [];
  for (const [path, key] of [
    ['/v1/files', s.clientKey],
    ['/v1/models', randomKey('pk-wrong')],
    ['/v1/models/%2e%2e/files', s.clientKey],
    ['/v1/models', s.clientKey],
  ] as const) {
    answers.push(await client.send(get(path, key)));
  }
  t.same(
    answers.map((a) => a.status),
    [404, 401, 404, 200],
  );
  t.same(
    answers.map((a) => a.closed),
    [false, false, false, false],
    'no answer closed the connection',
  );
  t.equal(client.connections, 1, 'all four on one connection');
  t.equal(s.up.requests.length, 1, 'only the valid request went upstream');
});

t.test('pipelined behind a refused GET: still answered', async (t) => {
  const s = await startSingleTenant(t);
  const conversation = await openRaw(s.proxy.port);
  t.teardown(() => conversation.destroy());
  conversation.write(
    `GET /v1/files HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\n\r\n`,
  );
  await conversation.waitFor(/HTTP\/1\.1 200 [\s\S]*"object":"list"/, 10_000, 'the second answer');
  t.same(
    responses(conversation.received()).map((a) => a.status),
    [404, 200],
  );
});

t.test('a refusal that leaves a body unread still closes the connection', async (t) => {
  const s = await startSingleTenant(t);
  const conversation = await openRaw(s.proxy.port);
  conversation.write(`POST /v1/files HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nContent-Length: 100000\r\n\r\n{"partial":`);
  await conversation.closed;
  const [answer] = responses(conversation.received());
  t.equal(answer?.status, 404);
  t.match(answer?.head ?? '', /\r\nconnection: close/i, 'announced');
  t.equal(s.up.requests.length, 0);
});
