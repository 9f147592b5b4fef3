import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from './real-client';

const USER = { name: 'proxy', password: 'first-Secret-1' };

t.test('an ACL user with a password, the default user off', async (t) => {
  const redis = await startRedis(t, { user: USER });
  const anonymous = openClient(t, { url: redis.url, backoff: { firstMs: 60_000, maxMs: 60_000 } });
  t.match(await anonymous.nextEvent('disconnected'), /^disconnected:auth:NOAUTH /, 'without credentials: NOAUTH');
  const { client, connected } = openClient(t, { url: redis.url, username: () => USER.name, password: () => USER.password });
  await connected();
  t.equal(await client.send(['SET', 'k', 'v']), 'OK');
  const whoami = await client.send(['ACL', 'WHOAMI']);
  t.equal(whoami, 'proxy');
});

t.test('credentials in the URL', async (t) => {
  const redis = await startRedis(t, { user: USER });
  const { client, connected } = openClient(t, { url: `redis://${USER.name}:${encodeURIComponent(USER.password)}@127.0.0.1:${redis.port}/1` });
  await connected();
  t.equal(await client.send(['ACL', 'WHOAMI']), 'proxy');
});

t.test("a wrong password: an auth error with Redis's message, never the password, retried", async (t) => {
  const redis = await startRedis(t, { user: USER });
  const { client, events, nextEvent } = openClient(t, {
    url: redis.url,
    username: () => USER.name,
    password: () => 'wrong-Secret-2',
    timeoutMs: 50,
    backoff: { firstMs: 10, maxMs: 20 },
  });
  const first = await nextEvent('disconnected');
  t.equal(first, 'disconnected:auth:WRONGPASS invalid username-password pair or user is disabled.');
  await t.rejects(client.send(['PING']), { name: 'RedisError', kind: 'auth' }, 'commands meanwhile fail as auth, the store unreachable');
  await nextEvent('disconnected');
  t.ok(events.length >= 2, 'it keeps retrying with backoff');
  t.notMatch(events.join('\n'), /wrong-Secret-2/);
});

t.test('a rotated password is read at the next connect', async (t) => {
  const redis = await startRedis(t, { user: USER });
  let password = USER.password;
  const { client, connected, nextEvent } = openClient(t, {
    url: redis.url,
    username: () => USER.name,
    password: () => password,
    backoff: { firstMs: 10, maxMs: 20 },
  });
  await connected();
  await client.send(['ACL', 'SETUSER', USER.name, 'resetpass', '>second-Secret-3']);
  password = 'second-Secret-3';
  const reconnected = nextEvent('connected');
  // Redis answers (1 killed), then closes this very connection.
  await client.send(['CLIENT', 'KILL', 'USER', USER.name, 'SKIPME', 'no']).catch(() => undefined);
  await reconnected;
  t.equal(await client.send(['ACL', 'WHOAMI']), 'proxy', 'connected again with the new password');
});
