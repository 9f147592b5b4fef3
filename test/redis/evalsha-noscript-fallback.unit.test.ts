import { createHash } from 'node:crypto';
import t from 'tap';
import { Script } from '../../src/redis/script';
import { commands, fakeConnection } from './fake-redis';

const script = new Script("return redis.call('INCRBY', KEYS[1], ARGV[1])");

t.test('EVALSHA, then EVAL once on NOSCRIPT', async (t) => {
  const redis = await fakeConnection(t);
  t.equal(script.sha1, createHash('sha1').update(script.source).digest('hex'));
  let written = redis.nextWrite();
  const result = redis.client.evalScript(script, ['k'], [5]);
  t.same(commands(await written), [['EVALSHA', script.sha1, '1', 'k', '5']]);
  written = redis.nextWrite();
  redis.reply('-NOSCRIPT No matching script. Please use EVAL.\r\n');
  t.same(commands(await written), [['EVAL', script.source, '1', 'k', '5']]);
  redis.reply(':5\r\n');
  t.equal(await result, 5);
});

t.test('another error is not retried', async (t) => {
  const redis = await fakeConnection(t);
  const written = redis.nextWrite();
  const result = redis.client.evalScript(script, ['k'], ['x']);
  await written;
  redis.reply('-ERR value is not an integer or out of range\r\n');
  await t.rejects(result, { kind: 'reply', message: 'ERR value is not an integer or out of range' });
  t.equal(redis.writes.length, 2, 'HELLO and the EVALSHA, nothing more');
});
