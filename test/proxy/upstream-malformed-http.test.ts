// Upstream faults: an upstream that answers with malformed HTTP. Before the response head is complete
// the client gets 502 upstream_bad_response (counted as reason "bad_response"); once a valid head has gone to
// the client, a broken body destroys the client connection, so it never looks complete. The proxy keeps serving.
import t from 'tap';
import type { TLSSocket } from 'node:tls';
import { within } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';
import { openRaw } from '../helpers/raw-socket';
import { startRawUpstream } from '../helpers/raw-upstream';

const BAD_HEADS: Record<string, string> = {
  'not HTTP at all': 'SSH-2.0-OpenSSH_9.6\r\n\r\n',
  'status line without a code': 'HTTP/1.1 OK\r\ncontent-length: 2\r\n\r\n{}',
  'status code out of range': 'HTTP/1.1 1000 Huh\r\ncontent-length: 2\r\n\r\n{}',
  'NUL in a header value': 'HTTP/1.1 200 OK\r\nx-a: a\0b\r\ncontent-length: 2\r\n\r\n{}',
  'space in a header name': 'HTTP/1.1 200 OK\r\nx a: b\r\ncontent-length: 2\r\n\r\n{}',
  'two different Content-Lengths': 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}',
  'Content-Length and Transfer-Encoding': 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
  'headers over 16 KiB': `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(20_000)}\r\ncontent-length: 2\r\n\r\n{}`,
};
const GOOD_START = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n9\r\ndata: 1\n\n\r\n';
const BAD_CHUNK = 'zz\r\nnot a chunk\r\n';

t.test('malformed responses', async (t) => {
  const script = new Map(Object.entries(BAD_HEADS).map(([name, answer]) => [`/v1/models/${encodeURIComponent(name)}`, answer]));
  let streaming: TLSSocket | undefined;
  const upstream = await startRawUpstream(t, {
    answer: (head, socket) => {
      const path = head.split(' ')[1] ?? '';
      if (path === '/v1/models/bad-body') {
        streaming = socket;
        return void socket.write(GOOD_START);
      }
      socket.write(script.get(path) ?? 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
    },
  });
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: upstream.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const auth = { 'x-api-key': clientKey };

  for (const name of Object.keys(BAD_HEADS)) {
    const res = await request(`${proxy.url}/v1/models/${encodeURIComponent(name)}`, { headers: auth, timeoutMs: 20_000 });
    t.equal(res.status, 502, `${name}: 502`);
    t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_bad_response' } }, `${name}: upstream_bad_response`);
  }
  const client = await openRaw(proxy.port);
  client.write(`GET /v1/models/bad-body HTTP/1.1\r\nHost: x\r\nX-API-Key: ${clientKey}\r\n\r\n`);
  await client.waitFor(/data: 1\n\n/, 10_000, 'the first event');
  streaming!.write(BAD_CHUNK);
  await within(client.closed, 10_000, 'the client connection to be closed').catch((err: Error) => t.fail(err.message));
  t.match(client.received(), /^HTTP\/1\.1 200 /, 'a broken body after a valid head: the head had gone through');
  t.notOk(client.received().endsWith('0\r\n\r\n'), 'no terminating chunk: the client sees the cut');

  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  t.match(
    metrics,
    new RegExp(`^openai_proxy_upstream_errors_total\\{reason="bad_response"\\} ${Object.keys(BAD_HEADS).length}$`, 'm'),
    'each counted as bad_response',
  );
  t.equal((await request(`${proxy.url}/v1/models`, { headers: auth })).status, 200, 'a good answer still goes through');
});
