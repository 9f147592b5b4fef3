import t from 'tap';
import { fakeConnection } from './fake-redis';

t.test('a connection closed mid-reply rejects every pending command with closed', async (t) => {
  const redis = await fakeConnection(t);
  const written = redis.nextWrite();
  const a = redis.client.send(['GET', 'a']);
  const b = redis.client.send(['GET', 'b']);
  await written;
  redis.reply('$10\r\nhalf');
  redis.socket.destroy();
  await t.rejects(a, { name: 'RedisError', kind: 'closed' });
  await t.rejects(b, { name: 'RedisError', kind: 'closed' });
  t.same(redis.states, ['connected', 'disconnected:closed']);
  t.equal(redis.client.connected, false);
});

t.test('the peer ending the stream is a close too', async (t) => {
  const redis = await fakeConnection(t);
  const written = redis.nextWrite();
  const a = redis.client.send(['GET', 'a']);
  await written;
  redis.socket.push(null);
  await t.rejects(a, { name: 'RedisError', kind: 'closed' });
});

t.test('bytes that are not RESP end the connection with a protocol error', async (t) => {
  const redis = await fakeConnection(t);
  const written = redis.nextWrite();
  const a = redis.client.send(['GET', 'a']);
  await written;
  redis.reply('?garbage\r\n');
  await t.rejects(a, { name: 'RedisError', kind: 'protocol' });
  t.same(redis.states, ['connected', 'disconnected:protocol']);
});

t.test('a command after close is refused at once', async (t) => {
  const redis = await fakeConnection(t);
  const written = redis.nextWrite();
  const a = redis.client.send(['GET', 'a']);
  await written;
  await redis.client.close();
  await t.rejects(a, { name: 'RedisError', kind: 'closed' });
  await t.rejects(redis.client.send(['PING']), { name: 'RedisError', kind: 'closed' });
});
