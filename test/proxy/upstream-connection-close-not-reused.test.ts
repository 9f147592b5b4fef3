// RFC 9112 §9.3, §9.6: an upstream response that says `Connection: close`, or comes as HTTP/1.0 without
// keep-alive, ends that upstream connection: the next request goes out on a new one and succeeds, whether the
// upstream closes at once or keeps the socket open. `Connection` is hop-by-hop: the client's own connection stays
// open, and the response it gets carries no trace of the upstream's close.
import t from 'tap';
import { randomKey, startProxy } from '../helpers/proxy';
import { RawKeepAliveClient } from '../helpers/raw-client';
import { startRawUpstream } from '../helpers/raw-upstream';

const ANSWERS: Record<string, { bytes: string; close: boolean }> = {
  'close, then closes': { bytes: 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}', close: true },
  'close, but keeps the socket open': { bytes: 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}', close: false },
  'an HTTP-1.0 answer without keep-alive': { bytes: 'HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}', close: false },
};
const OK = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}';

t.test("the upstream's Connection: close: a new upstream connection next, the client's kept", async (t) => {
  const up = await startRawUpstream(t, {
    answer: (head, socket) => {
      const answer = ANSWERS[decodeURIComponent(/\/v1\/models\/(\S+)/.exec(head)?.[1] ?? '')];
      socket.write(answer?.bytes ?? OK);
      if (answer?.close) socket.end();
    },
  });
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const client = new RawKeepAliveClient(proxy.port);
  t.teardown(() => client.close());
  const ask = (path: string) => client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${clientKey}\r\n\r\n`);
  for (const name of Object.keys(ANSWERS)) {
    const answer = await ask(`/v1/models/${encodeURIComponent(name)}`);
    t.equal(answer.status, 200, `${name}: 200`);
    t.notMatch(answer.headers.connection ?? '', /close/i, `${name}: the client is not told to close`);
    const connections = up.connections;
    const next = await ask('/v1/models');
    t.equal(next.body.toString(), '{"ok":true}', `${name}: the next request succeeds`);
    t.equal(up.connections, connections + 1, `${name}: on a new upstream connection`);
  }
  t.equal(client.connections, 1, 'the client used one connection throughout');
});
