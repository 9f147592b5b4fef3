import t from 'tap';
import { commands, fakeConnection } from './fake-redis';

t.test('commands past the queue bound are refused at once and never sent', async (t) => {
  const redis = await fakeConnection(t, { maxQueue: 3 });
  const written = redis.nextWrite();
  const sent = [redis.client.send(['INCR', 'a']), redis.client.send(['INCR', 'b']), redis.client.send(['INCR', 'c'])];
  await t.rejects(redis.client.send(['INCR', 'd']), { name: 'RedisError', kind: 'queue_full' });
  t.same(
    commands(await written).map((c) => c[1]),
    ['a', 'b', 'c'],
  );
  redis.reply(':1\r\n:2\r\n:3\r\n');
  t.same(await Promise.all(sent), [1, 2, 3]);
  const after = redis.client.send(['INCR', 'e']);
  await redis.nextWrite();
  redis.reply(':4\r\n');
  t.equal(await after, 4, 'room again once replies came');
});
