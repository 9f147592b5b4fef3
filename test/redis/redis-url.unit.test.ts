import t from 'tap';
import { describeEndpoint, parseRedisUrl, redactRedisUrl } from '../../src/redis/url';

t.test('what a URL names', async (t) => {
  t.same(parseRedisUrl('redis://redis.ai.svc:6380/2'), {
    endpoint: { tls: false, host: 'redis.ai.svc', port: 6380, db: 2, username: undefined, password: undefined },
  });
  t.same(parseRedisUrl('rediss://app:p%40ss@[::1]/'), { endpoint: { tls: true, host: '::1', port: 6379, db: 0, username: 'app', password: 'p@ss' } });
  t.same(parseRedisUrl('redis://:secret@cache'), { endpoint: { tls: false, host: 'cache', port: 6379, db: 0, username: undefined, password: 'secret' } });
  t.same(parseRedisUrl('redis://'), { endpoint: { tls: false, host: 'localhost', port: 6379, db: 0, username: undefined, password: undefined } });
  t.same(parseRedisUrl('REDIS://:6380'), { endpoint: { tls: false, host: 'localhost', port: 6380, db: 0, username: undefined, password: undefined } });
});

t.test('what a URL may not be, said without repeating it', async (t) => {
  const bad = ['http://host', 'redis://host/db1', 'redis://host?db=1', 'redis://host:99999', 'redis://secretword@host', 'redis://h/99999999', 'redis://a b'];
  for (const url of bad) {
    const parsed = parseRedisUrl(url);
    t.ok('problem' in parsed, url);
    if ('problem' in parsed) t.notMatch(parsed.problem, /host|secretword/, `${url}: the problem does not repeat the URL`);
  }
});

t.test('the password never shows', async (t) => {
  t.equal(redactRedisUrl('redis://app:hunter2@redis:6379/0'), 'redis://app:***@redis:6379/0');
  t.equal(redactRedisUrl('rediss://:hunter2@redis'), 'rediss://:***@redis');
  t.equal(redactRedisUrl('redis://:hun/ter@2@redis/1'), 'redis://:***@redis/1', 'up to the last @, whatever the password holds');
  t.equal(redactRedisUrl('redis://hunter2@redis'), 'redis://***@redis', 'user info without a colon may be a password');
  t.equal(redactRedisUrl('redis://redis:6379/0'), 'redis://redis:6379/0');
  t.equal(describeEndpoint({ tls: true, host: '::1', port: 7000, db: 3, password: 'hunter2' }), 'rediss://[::1]:7000/3');
});
