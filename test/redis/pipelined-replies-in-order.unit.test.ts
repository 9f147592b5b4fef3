import t from 'tap';
import { RedisError } from '../../src/redis/errors';
import { commands, fakeConnection } from './fake-redis';

t.test('commands of one turn go out in one write; replies in one chunk are matched in order', async (t) => {
  const redis = await fakeConnection(t);
  const written = redis.nextWrite();
  const a = redis.client.send(['GET', 'a']);
  const b = redis.client.send(['INCRBY', 'b', 5]);
  const c = redis.client.send(['HGET', 'c', 'f']);
  t.same(commands(await written), [
    ['GET', 'a'],
    ['INCRBY', 'b', '5'],
    ['HGET', 'c', 'f'],
  ]);
  redis.reply('$5\r\nfirst\r\n:6\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
  t.equal(await a, 'first');
  t.equal(await b, 6);
  const error = await c.catch((err: unknown) => err);
  t.ok(error instanceof RedisError);
  t.match(error, { kind: 'reply', code: 'WRONGTYPE', message: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
});

t.test('replies split across chunks and a push in between', async (t) => {
  const redis = await fakeConnection(t);
  const written = redis.nextWrite();
  const a = redis.client.send(['LRANGE', 'l', 0, -1]);
  const b = redis.client.send(['PING']);
  await written;
  redis.reply('*2\r\n$1\r\nx');
  redis.reply('\r\n$1\r\ny\r\n>2\r\n$10\r\ninvalidate\r\n*0\r\n+PO');
  redis.reply('NG\r\n');
  t.same(await a, ['x', 'y']);
  t.equal(await b, 'PONG', 'the push was not taken as the reply');
});

t.test('a number argument is sent whole', async (t) => {
  const redis = await fakeConnection(t);
  const written = redis.nextWrite();
  void redis.client.send(['SET', 'k', 1e21, 0.5, -3]).catch(() => {});
  t.same(commands(await written), [['SET', 'k', '1000000000000000000000', '0.5', '-3']]);
});
