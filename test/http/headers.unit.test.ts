import t from 'tap';
import { clientResponseHeaders, connectionTokens, upstreamCredential, upstreamRequestHeaders, withheldHeaders } from '../../src/http/headers';

const identity = {
  host: 'api.openai.com',
  credential: upstreamCredential('authorization', 'upstream-key'),
  extra: { 'openai-project': 'proj_a' },
  withheld: withheldHeaders([]),
};

t.test('upstream request: hop-by-hop, Connection-named and client credentials are dropped', async (t) => {
  const incoming = {
    host: 'localhost:18443',
    connection: 'keep-alive, X-Secret-Hop',
    'x-secret-hop': 'drop me',
    'keep-alive': 'timeout=5',
    'proxy-authorization': 'Basic abc',
    'proxy-connection': 'keep-alive',
    te: 'trailers',
    trailer: 'x-t',
    'transfer-encoding': 'chunked',
    upgrade: 'websocket',
    expect: '100-continue',
    'x-api-key': 'client-key',
    authorization: 'Bearer client-key',
    'content-type': 'application/json',
    'content-length': '12',
    'openai-organization': 'org_1',
    'openai-beta': 'assistants=v2',
    'x-unknown': 'kept',
  };
  const before = JSON.stringify(incoming);
  const out = upstreamRequestHeaders(incoming, identity);
  t.same(out, {
    'content-type': 'application/json',
    'content-length': '12',
    'openai-beta': 'assistants=v2',
    'x-unknown': 'kept',
    'openai-project': 'proj_a',
    host: 'api.openai.com',
    authorization: 'Bearer upstream-key',
  });
  t.equal(JSON.stringify(incoming), before, 'the incoming headers are not mutated');
});

t.test("the client's billing headers are dropped unless passClientHeaders names them", async (t) => {
  const own = { 'openai-organization': 'org_other', 'openai-project': 'proj_other' };
  const none = upstreamRequestHeaders(own, { ...identity, extra: {} });
  t.equal(none['openai-organization'], undefined, 'OpenAI-Organization dropped by default');
  t.equal(none['openai-project'], undefined, 'OpenAI-Project dropped by default');
  const passed = upstreamRequestHeaders(own, { ...identity, extra: {}, withheld: withheldHeaders(['openai-project']) });
  t.equal(passed['openai-project'], 'proj_other', 'a named one passes');
  t.equal(passed['openai-organization'], undefined, 'the other does not');
  t.equal(upstreamRequestHeaders(own, identity)['openai-project'], 'proj_a', "the client's configured header applies either way");
});

t.test('a client cannot override the proxy headers, even by naming them in Connection', async (t) => {
  const out = upstreamRequestHeaders({ connection: 'authorization, host, openai-project', 'openai-project': 'proj_mine' }, identity);
  t.equal(out.authorization, 'Bearer upstream-key');
  t.equal(out.host, 'api.openai.com');
  t.equal(out['openai-project'], 'proj_a', 'the configured project wins over the client’s');
});

t.test('response: hop-by-hop dropped, rate-limit and request-id headers kept, SSE marked unbuffered', async (t) => {
  const out = clientResponseHeaders(
    {
      connection: 'keep-alive, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'content-type': 'text/event-stream; charset=utf-8',
      'x-request-id': 'req_1',
      'openai-processing-ms': '12',
      'x-ratelimit-remaining-tokens': '100',
      'retry-after': '3',
      'set-cookie': ['a=1', 'b=2'],
      'content-encoding': 'gzip',
    },
    200,
  );
  t.same(out, {
    'content-type': 'text/event-stream; charset=utf-8',
    'x-request-id': 'req_1',
    'openai-processing-ms': '12',
    'x-ratelimit-remaining-tokens': '100',
    'retry-after': '3',
    'set-cookie': ['a=1', 'b=2'],
    'content-encoding': 'gzip',
    'x-accel-buffering': 'no',
  });
  t.notOk(clientResponseHeaders({ 'content-type': 'application/json' }, 200)['x-accel-buffering']);
});

t.test('response: a 204 goes without the Content-Length an upstream may have put on it', async (t) => {
  t.same(clientResponseHeaders({ 'content-length': '5', 'x-request-id': 'req_1' }, 204), { 'x-request-id': 'req_1' });
  t.same(clientResponseHeaders({ 'content-length': '5' }, 304), { 'content-length': '5' }, 'a 304 keeps it: it describes the stored body');
});

t.test('connection tokens are trimmed, lower-cased, and read from repeated headers', async (t) => {
  t.same([...connectionTokens(' Keep-Alive , X-A,,')!], ['keep-alive', 'x-a']);
  t.same([...connectionTokens(['close', 'X-B'])!], ['close', 'x-b']);
  t.equal(connectionTokens(undefined), undefined);
});

t.test("api-key: the upstream key goes as Azure OpenAI's api-key header; a client's own api-key is never forwarded", async (t) => {
  const azure = { ...identity, credential: upstreamCredential('api-key', 'upstream-key') };
  const out = upstreamRequestHeaders({ 'api-key': 'client-key', authorization: 'Bearer client-key', 'x-api-key': 'client-key' }, azure);
  t.same(out, { 'openai-project': 'proj_a', host: 'api.openai.com', 'api-key': 'upstream-key' });
  const bearer = upstreamRequestHeaders({ 'api-key': 'client-key' }, identity);
  t.equal(bearer['api-key'], undefined, "with Authorization upstream too, the client's api-key is stripped");
  t.equal(bearer.authorization, 'Bearer upstream-key');
});
