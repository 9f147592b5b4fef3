// RFC 9110 §9.2.2, RFC 9112 §9.3.1: a request that fails on a reused keep-alive connection before any answer
// (the upstream closing it as the request arrived) is retried once on a new connection only when its method is
// idempotent. A POST is never sent twice: the same failure is what an upstream that crashed while generating
// looks like, and a second completion would be paid for twice. The client gets 502 upstream_reset and decides
// itself (the OpenAI SDKs retry it).
import t from 'tap';
import type { TLSSocket } from 'node:tls';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';
import { startRawUpstream } from '../helpers/raw-upstream';

const OK = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}';

t.test('a stale connection: GET, DELETE and PUT are retried once, POST is not', async (t) => {
  const served = new WeakMap<TLSSocket, number>();
  // Each connection answers its first request and drops the second unanswered.
  const up = await startRawUpstream(t, {
    answer: (_head, socket) => {
      const count = (served.get(socket) ?? 0) + 1;
      served.set(socket, count);
      if (count === 1) socket.write(OK);
      else socket.destroy();
    },
  });
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const send = (method: string, path: string, body?: string) =>
    request(`${proxy.url}${path}`, { method, body, headers: { 'x-api-key': clientKey, 'content-type': 'application/json' } });
  // Request lines, counted wherever they are: a body is not followed by a line break.
  const sent = (line: string) => up.plaintext().split(line).length - 1;

  const cases: Array<[string, string, string | undefined, number, number]> = [
    // [method, path, body, the status the client gets, how often the request reached the upstream]
    ['GET', '/v1/models/gpt-4.1', undefined, 200, 2],
    ['DELETE', '/v1/responses/resp_1', undefined, 200, 2],
    ['PUT', '/v1/responses/resp_2', '{}', 200, 2],
    ['POST', '/v1/chat/completions', '{"model":"gpt-4.1-mini","messages":[]}', 502, 1],
  ];
  for (const [method, path, body, status, attempts] of cases) {
    t.equal((await send('GET', '/v1/models')).status, 200, `${method}: a request before it, whose connection it reuses`);
    const res = await send(method, path, body);
    t.equal(res.status, status, `${method} on the stale connection: ${status}`);
    t.equal(sent(`${method} ${path} HTTP/1.1\r\n`), attempts, `${method}: sent upstream ${attempts === 1 ? 'once' : 'twice'}`);
    if (status === 502) t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_reset' } });
  }
  t.equal(up.connections, 7, 'every retry on a new connection; the POST opened none');
});
