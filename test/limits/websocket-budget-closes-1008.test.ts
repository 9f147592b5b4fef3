// A day's tokens used up inside a Realtime session, through the real proxy on Redis: the response.done that spends
// the budget is relayed, then both the client and the upstream get close 1008 budget_exceeded; the client's next
// upgrade is refused with 429 budget_exceeded and never reaches the upstream; /limits shows what the session used.
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { WebSocket } from 'ws';
import { startFakeRealtime } from '../helpers/fake-realtime';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';
import { startRedis } from '../helpers/redis-server';
import { tempDir } from '../helpers/tmp';

const DONE = (input: number, output: number) =>
  JSON.stringify({ type: 'response.done', response: { id: 'resp_1', status: 'completed', usage: { input_tokens: input, output_tokens: output } } });

const next = (ws: WebSocket) => new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
const closed = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));

/** An upgrade request by hand, to read a refusal's status, headers and body. */
function upgrade(port: number, key: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/v1/realtime?model=gpt-realtime',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        'x-api-key': key,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode!, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('a Realtime session that uses up tokensPerDay is closed 1008 on both sides', async (t) => {
  const redis = await startRedis(t);
  const up = await startFakeRealtime(t);
  const dir = tempDir(t);
  const aliceKey = randomKey('pk-test-alice');
  writeFileSync(
    join(dir, 'proxy.yaml'),
    `limits:\n  store:\n    redis:\n      url: ${redis.url}\nclients:\n  - { name: alice, key: { env: ALICE_KEY }, limits: { tokensPerDay: 100 } }\n`,
  );
  const proxy = await startProxy(t, {
    upstream: up.url,
    env: { PROXY_CONFIG: join(dir, 'proxy.yaml'), OPENAI_API_KEY: randomKey('sk-test-upstream'), ALICE_KEY: aliceKey },
  });
  const limits = async () => (await request(`${proxy.adminUrl}/limits`)).json();
  for (let i = 0; i < 500 && (await limits()).state !== 'connected'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal((await limits()).state, 'connected', 'on Redis');

  const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/v1/realtime?model=gpt-realtime`, { headers: { 'x-api-key': aliceKey } });
  const server = await up.nextSession();
  await new Promise((resolve) => client.once('open', resolve));
  const clientClosed = closed(client);
  const serverClosed = closed(server);

  let atClient = next(client);
  server.send(DONE(30, 20));
  t.equal(await atClient, DONE(30, 20), '50 of 100 tokens: relayed, the session goes on');
  const toServer = next(server);
  client.send('{"type":"response.create"}');
  t.equal(await toServer, '{"type":"response.create"}', 'the client still reaches the upstream');
  atClient = next(client);
  server.send(DONE(40, 30));
  t.equal(await atClient, DONE(40, 30), 'the response that spends the budget is relayed');
  t.same(await clientClosed, { code: 1008, reason: 'budget_exceeded' }, 'the client gets close 1008 budget_exceeded');
  t.same(await serverClosed, { code: 1008, reason: 'budget_exceeded' }, 'and so does the upstream');

  const refused = await upgrade(proxy.port, aliceKey);
  t.equal(refused.status, 429, 'a new upgrade is refused');
  t.equal(refused.headers['x-should-retry'], 'false');
  t.match(JSON.parse(refused.body), { error: { type: 'proxy_error', code: 'budget_exceeded', message: /tokensPerDay/ } });
  t.equal(up.upgrades.length, 1, 'the refused upgrade never reached the upstream');
  t.match((await limits()).clients.alice, { tokensPerDay: { limit: 100, used: 120, remaining: 0 } }, '/limits: the session used 120 tokens');
  const line = await proxy.waitForLog((l) => l.event === 'request' && l.status === 101);
  t.match(
    line,
    { client: 'alice', usage: { input: 70, output: 50 }, websocket: { endedBy: 'proxy', closeCode: 1008 } },
    'the session logged as ended by the proxy',
  );
});
