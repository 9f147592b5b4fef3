import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from '../redis/real-client';
import { startEngines, until } from './engines';

const USER = { name: 'proxy', password: 'right-Secret-1' };
const WRONG = 'wrong-Secret-2';

t.test('a wrong password: unreachable, logged at error with Redis’s message once, never the password', async (t) => {
  const redis = await startRedis(t, { user: USER });
  const { engines, logs, hooks, admit } = startEngines(t, {
    url: redis.url,
    store: { username: { kind: 'value', value: USER.name }, password: { kind: 'value', value: WRONG } },
    clients: { bob: { requestsPerMinute: 1 } },
  });
  const [engine] = engines;
  const admin = openClient(t, { url: redis.url, username: () => USER.name, password: () => USER.password });
  await admin.connected();
  const refusals = async () => {
    const entries = (await admin.client.send(['ACL', 'LOG'])) as Map<string, unknown>[];
    return entries.filter((e) => e.get('reason') === 'auth').reduce((sum, e) => sum + Number(e.get('count')), 0);
  };
  t.ok(await until(async () => (await refusals()) >= 3), 'Redis refused three connects: the engine keeps retrying');
  t.equal(engine!.state(), 'local');
  t.match(await admit(0, 'bob'), { ok: true }, 'decided here');
  t.match(await admit(0, 'bob'), { ok: false, limit: 'requestsPerMinute' });
  const refused = logs.filter((l) => l.event === 'limits_store_refused');
  t.same(
    refused.map((l) => [l.level, l.reason, l.message]),
    [['error', 'auth', 'WRONGPASS invalid username-password pair or user is disabled.']],
    'one error line for several refusals, in Redis’s words',
  );
  t.same(
    hooks.events.filter((e) => e.startsWith('up:')),
    ['up:false'],
  );
  const everything = JSON.stringify([logs, hooks.events]);
  t.notOk(everything.includes(WRONG) || everything.includes(USER.password), 'no password in any log line or metric');
});

t.test('an ACL user without +evalsha: unreachable, logged at error once with Redis’s message', async (t) => {
  const redis = await startRedis(t, { user: { ...USER, rules: '~* &* +@all -evalsha -eval' } });
  const { engines, logs, hooks, admit } = startEngines(t, {
    url: redis.url,
    store: { username: { kind: 'value', value: USER.name }, password: { kind: 'value', value: USER.password } },
    clients: { bob: { requestsPerMinute: 100 } },
  });
  const [engine] = engines;
  t.ok(await until(() => hooks.events.includes('up:true')), 'the connection itself is accepted');
  t.match(await admit(0, 'bob'), { ok: true }, 'refused by the ACL: decided here');
  t.equal(engine!.state(), 'local');
  t.same(
    hooks.events.filter((e) => e.startsWith('up:')),
    ['up:false', 'up:true', 'up:false'],
    'store_up 0: connected is not usable',
  );
  // Redis is asked again after a moment of local decisions, and refuses again.
  t.ok(
    await until(async () => {
      await admit(0, 'bob');
      return hooks.events.filter((e) => e === 'error:reply').length >= 3;
    }),
  );
  t.equal(engine!.state(), 'local');
  const refused = logs.filter((l) => l.event === 'limits_store_refused');
  t.equal(refused.length, 1, 'logged once for three refusals');
  t.match(refused[0], { level: 'error', reason: 'acl', message: /^NOPERM .*'evalsha'/ });
  t.notOk(JSON.stringify(logs).includes(USER.password), 'no password in any log line');
});
