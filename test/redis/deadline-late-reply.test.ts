import t from 'tap';
import { commands, fakeConnection } from './fake-redis';

t.test('a command past its deadline rejects; its late reply is consumed, so the next reply matches the next command', async (t) => {
  const redis = await fakeConnection(t, { timeoutMs: 30 });
  let written = redis.nextWrite();
  const slow = redis.client.send(['GET', 'slow']);
  t.same(commands(await written), [['GET', 'slow']]);
  await t.rejects(slow, { name: 'RedisError', kind: 'timeout', message: 'no reply from Redis within 30 ms' });
  written = redis.nextWrite();
  const next = redis.client.send(['GET', 'next']);
  await written;
  redis.reply('$4\r\nlate\r\n$4\r\nmine\r\n');
  t.equal(await next, 'mine');
  t.equal(redis.client.connected, true, 'a late reply is no reason to reconnect');
});

t.test('a command waiting while disconnected rejects at its deadline and is never sent', async (t) => {
  const redis = await fakeConnection(t, { timeoutMs: 30, backoff: { firstMs: 60_000, maxMs: 60_000 } });
  redis.socket.destroy();
  await new Promise((resolve) => redis.socket.once('close', resolve));
  const writes = redis.writes.length;
  await t.rejects(redis.client.send(['GET', 'a']), { name: 'RedisError', kind: 'connect' });
  t.equal(redis.writes.length, writes, 'nothing written');
  t.equal(redis.client.queued, 0, 'its place in the queue is free again');
});
