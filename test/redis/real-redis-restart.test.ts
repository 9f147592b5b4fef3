import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from './real-client';

t.test('a server killed and restarted on the same port: reconnected, commands while down fail within the deadline', async (t) => {
  const redis = await startRedis(t);
  const { client, connected, nextEvent, events } = openClient(t, { url: redis.url, timeoutMs: 100, backoff: { firstMs: 20, maxMs: 100 } });
  await connected();
  t.equal(await client.send(['SET', 'k', 'before']), 'OK');
  const down = nextEvent('disconnected');
  await redis.kill();
  t.match(await down, /^disconnected:closed:/);
  t.equal(client.connected, false);
  const started = Date.now();
  await t.rejects(client.send(['GET', 'k']), { name: 'RedisError', kind: 'connect' });
  t.ok(Date.now() - started < 5_000, 'refused at its deadline, not held until Redis is back');
  const up = nextEvent('connected');
  await redis.restart();
  await up;
  t.equal(await client.send(['GET', 'k']), null, 'a new server (no persistence): the key is gone');
  t.equal(await client.send(['SET', 'k', 'after']), 'OK');
  t.ok(events.filter((e) => e === 'connected').length === 2, 'connected twice');
});

t.test('a command sent while the server restarts waits for the connection within its deadline', async (t) => {
  const redis = await startRedis(t);
  const { client, connected, nextEvent } = openClient(t, { url: redis.url, timeoutMs: 5_000, backoff: { firstMs: 10, maxMs: 20 } });
  await connected();
  const down = nextEvent('disconnected');
  await redis.kill();
  await down;
  const pending = client.send(['INCR', 'n']);
  await redis.restart();
  t.equal(await pending, 1, 'sent once the client reconnected');
});
