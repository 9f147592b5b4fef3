// RFC 9112 §9.3.2: requests pipelined on one connection run one at a time, in order: the next goes upstream only
// once the answer before it has been written, so a POST never overtakes the request before it. They used to go
// upstream all at once, and a request still waiting for its turn when the client left was never ended: its
// upstream request ran on (tokens paid for nobody), openai_proxy_inflight_requests stayed up, and shutdown
// waited for it. Now a request the client leaves before its turn never goes upstream.
import t from 'tap';
import { handlers, sleep, until } from '../helpers/fake-upstream';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses } from '../helpers/raw-socket';

const post = (path: string, key: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const get = (path: string, key: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\n\r\n`;

t.test('each pipelined request goes upstream after the answer before it', async (t) => {
  const s = await startSingleTenant(t);
  const normal = handlers.defaults();
  const answered: string[] = [];
  s.up.handle = async (req, res, rec) => {
    await sleep(rec.url === '/v1/chat/completions' ? 300 : 0);
    await normal(req, res, rec);
    answered.push(rec.url);
  };
  const client = await openRaw(s.proxy.port);
  t.teardown(() => client.destroy());
  client.write(
    post('/v1/chat/completions', s.clientKey, '{"model":"gpt-4.1-mini"}') +
      get('/v1/models', s.clientKey) +
      post('/v1/embeddings', s.clientKey, '{"input":"x"}'),
  );
  await client.waitFor(/("object":"list"[\s\S]*){2}$/, 10_000, 'three answers');
  t.same(
    responses(client.received()).map((a) => a.status),
    [200, 200, 200],
  );
  t.same(
    s.up.requests.map((r) => r.url),
    ['/v1/chat/completions', '/v1/models', '/v1/embeddings'],
    'upstream in the client order',
  );
  for (let i = 1; i < 3; i++) t.ok(s.up.requests[i]!.receivedAt >= s.up.requests[i - 1]!.receivedAt, 'each after the one before');
  t.same(answered, ['/v1/chat/completions', '/v1/models', '/v1/embeddings'], 'and each answered before the next arrived');
});

t.test('a client that leaves with requests still waiting: nothing left running', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.stall();
  const client = await openRaw(s.proxy.port);
  client.write(get('/v1/models/first', s.clientKey) + get('/v1/models/waiting', s.clientKey));
  await s.up.waitForRequest();
  await sleep(300);
  client.destroy();
  t.ok(await until(() => s.up.requests[0]!.aborted, 5000), 'the running upstream request was cancelled');
  const inflight = async () =>
    /^openai_proxy_inflight_requests\{client="default"\} (\d+)/m.exec(await (await fetch(`${s.proxy.adminUrl}/metrics`)).text())?.[1];
  let open: string | undefined;
  for (let i = 0; i < 50; i++) {
    open = await inflight();
    if (open === '0') break;
    await sleep(100);
  }
  t.equal(open, '0', 'no request left in flight');
  t.same(
    s.up.requests.map((r) => r.url),
    ['/v1/models/first'],
    'the waiting request never went upstream',
  );
});
