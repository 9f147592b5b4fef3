// Pipelined requests (several written at once on one connection) are answered in order, each with
// its own upstream answer, each forwarded once with its own body; one refused in the middle does not disturb
// the others (see also refused-bodyless-request-keeps-connection.test.ts). When a refusal
// closes the connection, whatever was pipelined behind it is never read as a request.
import t from 'tap';
import { startSingleTenant } from '../helpers/stack';
import { openRaw, responses } from '../helpers/raw-socket';

const post = (path: string, key: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const get = (path: string, key: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\n\r\n`;

t.test('five requests in one write: five answers in order, the valid four forwarded once each', async (t) => {
  const s = await startSingleTenant(t);
  const conversation = await openRaw(s.proxy.port);
  t.teardown(() => conversation.destroy());
  conversation.write(
    post('/v1/chat/completions', s.clientKey, '{"model":"gpt-4.1-mini","stream":true}') +
      get('/v1/files', s.clientKey) +
      get('/v1/models/gpt-4.1', s.clientKey) +
      post('/v1/embeddings', s.clientKey, '{"input":"one"}') +
      post('/v1/embeddings', s.clientKey, '{"input":"two"}'),
  );
  await conversation.waitFor(/("object":"list"[\s\S]*){2}$/, 10_000, 'all five answers');
  const answers = responses(conversation.received());
  t.same(
    answers.map((a) => a.status),
    [200, 404, 200, 200, 200],
    'answers in request order',
  );
  t.match(answers[0]!.body, /data: \[DONE\]\n\n$/, 'the stream ended before the next answer began');
  // Each answer is its own request's, in the client's order (that they also reach the upstream in that order,
  // one at a time, is pipelined-requests-run-one-at-a-time.test.ts).
  const byId = new Map(s.up.requests.map((r) => [r.requestId, `${r.method} ${r.url} ${r.body.toString()}`]));
  const ids = answers.filter((a) => a.status === 200).map((a) => /\r\nx-request-id: (\S+)/i.exec(a.head)?.[1] ?? '');
  t.same(
    ids.map((id) => byId.get(id)),
    [
      'POST /v1/chat/completions {"model":"gpt-4.1-mini","stream":true}',
      'GET /v1/models/gpt-4.1 ',
      'POST /v1/embeddings {"input":"one"}',
      'POST /v1/embeddings {"input":"two"}',
    ],
    'each answer is the one its own request got upstream',
  );
  t.equal(s.up.requests.length, 4, 'each valid request forwarded once; the refused one not at all');
});

t.test('a refusal that closes the connection: what was pipelined behind it never runs', async (t) => {
  const s = await startSingleTenant(t, { env: { MAX_BODY_BYTES: '100' } });
  const conversation = await openRaw(s.proxy.port);
  conversation.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${s.clientKey}\r\nContent-Length: 1000\r\n\r\n${get('/v1/models/pipelined', s.clientKey)}`,
  );
  await conversation.closed;
  t.same(
    responses(conversation.received()).map((a) => a.status),
    [413],
    'only the 413',
  );
  t.equal(s.up.requests.length, 0, 'nothing went upstream');
});
