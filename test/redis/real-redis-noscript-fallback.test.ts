import t from 'tap';
import { Script } from '../../src/redis/script';
import { startRedis } from '../helpers/redis-server';
import { openClient } from './real-client';

const script = new Script("return redis.call('INCRBY', KEYS[1], ARGV[1])");

t.test('EVALSHA runs a script Redis has; after SCRIPT FLUSH it is sent again and cached', async (t) => {
  const redis = await startRedis(t);
  const { client, connected } = openClient(t, { url: redis.url });
  await connected();
  t.equal(await client.evalScript(script, ['n'], [2]), 2, 'the first call loads it (NOSCRIPT, then EVAL)');
  t.same(await client.send(['SCRIPT', 'EXISTS', script.sha1]), [1]);
  t.equal(await client.evalScript(script, ['n'], [3]), 5);
  await client.send(['SCRIPT', 'FLUSH']);
  t.same(await client.send(['SCRIPT', 'EXISTS', script.sha1]), [0]);
  t.equal(await client.evalScript(script, ['n'], [4]), 9, 'after the flush it still runs, once');
  t.same(await client.send(['SCRIPT', 'EXISTS', script.sha1]), [1], 'and is cached again');
});
