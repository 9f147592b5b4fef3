// A Realtime WebSocket session through the proxy: the caller authenticates as for any request, the upgrade goes
// upstream with the upstream key (never the client's), messages pass both ways unchanged, the usage of each
// response.done is counted, and the session is one request (status 101) in the access log and the metrics.
import t from 'tap';
import { WebSocket } from 'ws';
import { startFakeRealtime } from '../helpers/fake-realtime';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';

const DONE = (input: number, output: number) =>
  JSON.stringify({
    type: 'response.done',
    response: { id: 'resp_1', status: 'completed', usage: { input_tokens: input, output_tokens: output, input_token_details: { cached_tokens: 1 } } },
  });

const next = (ws: WebSocket) =>
  new Promise<{ data: Buffer; binary: boolean }>((resolve) => ws.once('message', (data, binary) => resolve({ data: data as Buffer, binary })));
const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

t.test('a session: relayed both ways, counted, logged once as a 101', async (t) => {
  const up = await startFakeRealtime(t);
  const upstreamKey = randomKey('sk-test-upstream');
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: upstreamKey, PROXY_X_API_KEY: clientKey } });
  const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/v1/realtime?model=gpt-realtime`, {
    headers: { authorization: `Bearer ${clientKey}`, 'openai-beta': 'realtime=v1' },
  });
  const server = await up.nextSession();
  await new Promise((resolve) => client.once('open', resolve));
  const [upgrade] = up.upgrades;
  t.equal(upgrade!.url, '/v1/realtime?model=gpt-realtime', 'the query passes as sent');
  t.ok(upgrade!.headers.authorization === `Bearer ${upstreamKey}`, 'the upstream key goes in its header');
  t.equal(upgrade!.headers['openai-beta'], 'realtime=v1', 'the client headers pass');
  t.equal(upgrade!.headers.host, new URL(up.url).host);

  const toServer = next(server);
  client.send('{"type":"response.create"}');
  t.equal(String((await toServer).data), '{"type":"response.create"}', 'client to server, unchanged');
  const binary = Buffer.from([0, 1, 2, 255, 254]);
  const binaryAtServer = next(server);
  client.send(binary);
  const got = await binaryAtServer;
  t.ok(got.binary && got.data.equals(binary), 'binary frames unchanged');
  for (const [input, output] of [
    [10, 5],
    [20, 7],
  ]) {
    const atClient = next(client);
    server.send(DONE(input!, output!));
    t.equal(String((await atClient).data), DONE(input!, output!), 'server to client, unchanged');
  }
  const gone = closed(server);
  client.close(1000, 'bye');
  t.equal(await gone, 1000, 'the client closing closes the upstream side');

  const line = await proxy.waitForLog((l) => l.event === 'request' && l.status === 101);
  t.match(line, { client: 'default', method: 'GET', endpoint: '/v1/realtime', model: 'gpt-realtime', status: 101 });
  t.same(line.usage, { input: 30, output: 12, cachedInput: 2, reasoning: 0, estimated: false }, 'the responses of the session, summed');
  t.match(line.websocket, { messagesFromClient: 2, messagesFromUpstream: 2, endedBy: 'client', closeCode: 1000 });
  const metrics = (await request(`${proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_requests_total\{[^}]*status="101"[^}]*\} 1$/m, 'one request with status 101');
  t.match(metrics, /^openai_proxy_websocket_sessions\{client="default"\} 0$/m, 'no session open');
  t.match(metrics, /^openai_proxy_websocket_messages_total\{client="default",direction="from_client"\} 2$/m);
  t.match(metrics, /^openai_proxy_tokens_total\{[^}]*model="gpt-realtime"[^}]*kind="input"[^}]*\} 30$/m, 'tokens per client and model');
});

t.test("a browser's key in the subprotocol: accepted, and taken out before the upgrade goes upstream", async (t) => {
  const up = await startFakeRealtime(t);
  const clientKey = randomKey('pk-test-client');
  const proxy = await startProxy(t, { upstream: up.url, env: { OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: clientKey } });
  const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/v1/realtime?model=gpt-realtime`, ['realtime', `openai-insecure-api-key.${clientKey}`]);
  await up.nextSession();
  await new Promise((resolve) => client.once('open', resolve));
  t.equal(up.upgrades[0]!.headers['sec-websocket-protocol'], 'realtime', 'only the other subprotocols go upstream');
  t.equal(client.protocol, 'realtime', "the upstream's choice comes back");
  client.close();
});
