// RFC 9112 §6.1: an upstream response with a transfer coding other than chunked (`gzip`, `gzip, chunked`) gets
// the client 502 upstream_bad_response. Node decodes only chunked, and the Transfer-Encoding header is not
// forwarded (hop-by-hop), so the proxy used to pass the still-coded bytes on as the body, with nothing saying
// so (nginx 1.22 does the same; nginx 1.23 and later, and Envoy, refuse the response).
import t from 'tap';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';
import { startRawUpstream } from '../helpers/raw-upstream';

const RESPONSES: Record<string, string> = {
  gzip: 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: gzip\r\nconnection: close\r\n\r\nnot really gzip',
  'gzip, chunked': 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
  Chunked: 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: Chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
};

t.test('an upstream transfer coding the proxy does not implement: 502', async (t) => {
  const up = await startRawUpstream(t, {
    answer: (head, socket) => {
      const coding = decodeURIComponent(/\/v1\/models\/(\S+)/.exec(head)?.[1] ?? '');
      socket.write(RESPONSES[coding]!);
      if (coding === 'gzip') socket.end();
    },
  });
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const ask = (coding: string) => request(`${proxy.url}/v1/models/${encodeURIComponent(coding)}`, { headers: { 'x-api-key': clientKey } });
  for (const coding of ['gzip', 'gzip, chunked']) {
    const res = await ask(coding);
    t.equal(res.status, 502, `${coding}: 502`);
    t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_bad_response' } }, `${coding}: upstream_bad_response`);
  }
  const chunked = await ask('Chunked');
  t.equal(chunked.status, 200, '`Chunked`: forwarded');
  t.equal(chunked.text, '{}');
});
