import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { startRelay } from '../helpers/tcp-relay';
import { openClient } from './real-client';

t.test('a slow server (DEBUG SLEEP) hits the deadline; the connection stays and later commands answer', async (t) => {
  const redis = await startRedis(t, { debug: true });
  const sleeper = openClient(t, { url: redis.url, timeoutMs: 5_000 });
  const { client, connected, events } = openClient(t, { url: redis.url, timeoutMs: 50 });
  await Promise.all([sleeper.connected(), connected()]);
  const sleeping = sleeper.client.send(['DEBUG', 'SLEEP', '0.3']);
  await t.rejects(client.send(['INCR', 'n']), { name: 'RedisError', kind: 'timeout', message: 'no reply from Redis within 50 ms' });
  await sleeping;
  t.equal(await client.send(['GET', 'n']), '1', 'the timed-out INCR ran late; its reply did not go to the GET');
  t.same(events, ['connected'], 'no reconnect');
});

t.test('a delaying relay: each command over the deadline fails, the next on time succeeds', async (t) => {
  const redis = await startRedis(t);
  const relay = await startRelay(t, redis.port);
  const { client, connected } = openClient(t, { url: `redis://127.0.0.1:${relay.port}`, timeoutMs: 50 });
  await connected();
  relay.delayMs = 200;
  await t.rejects(client.send(['INCR', 'n']), { name: 'RedisError', kind: 'timeout' });
  relay.delayMs = 0;
  const results = await Promise.all([client.send(['INCR', 'n']), client.send(['INCR', 'n'])].map((p) => p.catch((e: Error) => e.message)));
  // The late reply is still on its way: the next ones may time out behind it, but never get another's reply.
  for (const r of results) t.ok(r === 2 || r === 3 || /within 50 ms/.test(String(r)), `got ${String(r)}`);
  await new Promise((resolve) => setTimeout(resolve, 250));
  t.equal(await client.send(['GET', 'n']), '3');
});

t.test('a relay that drops the connection: reconnected', async (t) => {
  const redis = await startRedis(t);
  const relay = await startRelay(t, redis.port);
  const { client, connected, nextEvent } = openClient(t, { url: `redis://127.0.0.1:${relay.port}`, backoff: { firstMs: 10, maxMs: 20 } });
  await connected();
  const back = nextEvent('connected');
  relay.drop();
  await back;
  t.equal(await client.send(['PING']), 'PONG');
  t.equal(relay.connections, 2);
});
