// RFC 9110 §15.2.2: an upstream answering `101 Switching Protocols` (with or without an Upgrade header) to a
// request that never asked to switch (the proxy strips Upgrade) gets the client a JSON 502
// upstream_bad_response at once, never a client left hanging: Node drops an upgraded socket that has no handler
// and the exchange used to never hear of it. The upstream connection is closed and the proxy keeps serving.
import t from 'tap';
import { until } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';
import { startRawUpstream } from '../helpers/raw-upstream';

const SWITCHES: Record<string, string> = {
  'to websocket': 'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\nbytes of another protocol',
  'with no Upgrade header': 'HTTP/1.1 101 Switching Protocols\r\n\r\n',
  'after an interim 100': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\nconnection: upgrade\r\n\r\n',
};
const OK = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}';

t.test('an upstream 101: 502 at once, the upstream connection closed', async (t) => {
  const script = new Map(Object.entries(SWITCHES).map(([name, bytes]) => [`/v1/models/${encodeURIComponent(name)}`, bytes]));
  let closed = 0;
  const up = await startRawUpstream(t, {
    answer: (head, socket) => {
      const bytes = script.get(head.split(' ')[1] ?? '');
      if (bytes) socket.once('close', () => closed++);
      socket.write(bytes ?? OK);
    },
  });
  const clientKey = randomKey('pk-test-client');
  // The first-byte timeout is long: the answer must not wait for it.
  const env = { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey, UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '600000' };
  const proxy = await startProxy(t, { upstream: up.url, env });
  for (const name of Object.keys(SWITCHES)) {
    const res = await request(`${proxy.url}/v1/models/${encodeURIComponent(name)}`, { headers: { 'x-api-key': clientKey }, timeoutMs: 10_000 });
    t.equal(res.status, 502, `${name}: 502`);
    t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_bad_response' } }, `${name}: upstream_bad_response`);
  }
  t.ok(await until(() => closed === Object.keys(SWITCHES).length, 5000), 'each switched connection closed by the proxy');
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_upstream_errors_total\{reason="bad_response"\} 3$/m, 'counted as bad_response');
  t.equal((await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': clientKey } })).status, 200, 'still serving');
});
