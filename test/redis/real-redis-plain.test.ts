import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from './real-client';

t.test('commands against a real redis-server, pipelined, RESP3', async (t) => {
  const redis = await startRedis(t);
  const { client, connected } = openClient(t, { url: redis.url });
  await connected();
  t.equal(await client.send(['SET', 'greeting', 'héllo']), 'OK');
  t.equal(await client.send(['GET', 'greeting']), 'héllo');
  const counts = await Promise.all(Array.from({ length: 1000 }, () => client.send(['INCR', 'n'])));
  t.same(
    counts,
    Array.from({ length: 1000 }, (_, i) => i + 1),
    '1000 pipelined replies matched in order',
  );
  await client.send(['HSET', 'h', 'a', '1', 'b', '2']);
  const map = await client.send(['HGETALL', 'h']);
  t.ok(map instanceof Map, 'HELLO 3 switched to RESP3: a hash comes back as a map');
  t.same(
    [...(map as Map<unknown, unknown>)],
    [
      ['a', '1'],
      ['b', '2'],
    ],
  );
  await t.rejects(client.send(['INCR', 'greeting']), { name: 'RedisError', kind: 'reply', message: 'ERR value is not an integer or out of range' });
  t.equal(await client.send(['PING']), 'PONG', 'an error reply leaves the connection usable');
  const info = (await client.send(['CLIENT', 'INFO'])) as string;
  t.match(info, /name=openai-proxy /);
});

t.test('the database of the URL path is selected', async (t) => {
  const redis = await startRedis(t);
  const three = openClient(t, { url: `${redis.url}/3` });
  const zero = openClient(t, { url: redis.url });
  await Promise.all([three.connected(), zero.connected()]);
  await three.client.send(['SET', 'where', 'three']);
  t.equal(await zero.client.send(['GET', 'where']), null, 'not in database 0');
  t.equal(await zero.client.send(['SELECT', 3]), 'OK');
  t.equal(await zero.client.send(['GET', 'where']), 'three');
});

t.test('nothing listening: a connect error, retried, while commands wait within their deadline', async (t) => {
  const redis = await startRedis(t);
  await redis.stop();
  const { client, nextEvent } = openClient(t, { url: redis.url, timeoutMs: 50 });
  t.match(await nextEvent('disconnected'), /^disconnected:connect:cannot connect to Redis: .*ECONNREFUSED/);
  await t.rejects(client.send(['PING']), { name: 'RedisError', kind: 'connect' });
  t.match(await nextEvent('disconnected'), /ECONNREFUSED/, 'it keeps trying');
});
