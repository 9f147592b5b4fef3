// RFC 9110 §6.4.1 and §15: a 204, a 304 and the answer to a HEAD have no content, and a Content-Length says
// where a body ends. Bytes an upstream sends past that end (a body on a 204, more than it announced, a second
// response) must never be read as the answer to the next request on that connection, another client's perhaps.
// The proxy forwards the response as framed (a 204 without the Content-Length RFC 9110 §8.6 forbids on it) and
// closes the upstream connection: at once when the bytes come with the response, and as soon as they arrive on
// an idle keep-alive connection (nginx and Envoy close such a connection too).
import t from 'tap';
import { sleep } from '../helpers/fake-upstream';
import { randomKey, startProxy } from '../helpers/proxy';
import { RawKeepAliveClient } from '../helpers/raw-client';
import { startRawUpstream } from '../helpers/raw-upstream';

const EVIL = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nEVIL!';
const OK = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}';

// [the case, the request method, what the upstream sends at once, what it sends 100 ms later, the status and body the client gets]
const CASES: Array<[string, string, string, string, number, string]> = [
  ['204 followed by a response', 'GET', `HTTP/1.1 204 No Content\r\n\r\n${EVIL}`, '', 204, ''],
  ['204 with a Content-Length and a body', 'DELETE', 'HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\nEVIL!', '', 204, ''],
  ['304 followed by a response', 'GET', `HTTP/1.1 304 Not Modified\r\n\r\n${EVIL}`, '', 304, ''],
  ['HEAD answered with a body', 'HEAD', `HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n${EVIL}`, '', 200, ''],
  ['more than the Content-Length', 'GET', `HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}${EVIL}`, '', 200, '{}'],
  ['garbage after the Content-Length', 'GET', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}\x00\x01garbage', '', 200, '{}'],
  ['a late response on the idle connection', 'GET', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}', EVIL, 200, '{}'],
  ['a late body after a 204', 'GET', 'HTTP/1.1 204 No Content\r\n\r\n', 'EVIL!', 204, ''],
];

t.test('bytes after a complete response never answer the next request', async (t) => {
  const script = new Map(CASES.map(([name, , now, later]) => [`/v1/models/${encodeURIComponent(name)}`, [now, later] as const]));
  const up = await startRawUpstream(t, {
    answer: (head, socket) => {
      const [now, later] = script.get(head.split(' ')[1] ?? '') ?? [OK, ''];
      socket.write(now);
      if (later) setTimeout(() => socket.writable && socket.write(later), 100);
    },
  });
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const client = new RawKeepAliveClient(proxy.port);
  t.teardown(() => client.close());
  const ask = (method: string, path: string) => client.send(`${method} ${path} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${clientKey}\r\n\r\n`);
  for (const [name, method, , , status, body] of CASES) {
    const answer = await ask(method, `/v1/models/${encodeURIComponent(name)}`);
    const connections = up.connections;
    t.equal(answer.status, status, `${name}: ${status}`);
    t.equal(answer.body.toString('latin1'), body, `${name}: only the body the response framed`);
    if (status === 204) t.equal(answer.headers['content-length'], undefined, `${name}: no Content-Length on the 204`);
    t.notOk(answer.closed, `${name}: the client's connection stays open`);
    await sleep(300);
    const next = await ask('GET', '/v1/models');
    t.equal(next.body.toString(), '{"ok":true}', `${name}: the next request gets its own answer`);
    t.equal(up.connections, connections + 1, `${name}: and gets it on a new upstream connection`);
  }
});
