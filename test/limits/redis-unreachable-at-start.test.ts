import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from '../redis/real-client';
import { pendingOf, startEngines, ticketOf, until } from './engines';

t.test('Redis unreachable at start: no throw, local and deny decide at once, the usage seen reaches Redis when it comes up', async (t) => {
  const redis = await startRedis(t);
  await redis.stop();
  const clients = { bob: { requestsPerMinute: 2, tokensPerDay: 1000 } };
  const local = startEngines(t, { url: redis.url, clients });
  const deny = startEngines(t, { url: redis.url, clients, onStoreError: 'deny' });
  const [engine] = local.engines;
  const [denying] = deny.engines;
  t.equal(engine!.state(), 'local');
  t.equal(denying!.state(), 'deny');

  const first = engine!.admit('bob', { stream: false, reserve: { tokens: 10, usd: 0 } });
  t.notOk(first instanceof Promise, 'decided at once, no wait for a deadline');
  ticketOf(first as Awaited<typeof first>).end({ tokens: 25, usd: 0 });
  ticketOf(await local.admit(0, 'bob', 10)).end({ tokens: 5, usd: 0 });
  t.match(await local.admit(0, 'bob'), { ok: false, limit: 'requestsPerMinute' }, 'the limits hold, per replica');
  t.same(denying!.admit('bob', { stream: false, reserve: { tokens: 0, usd: 0 } }), { ok: false, unavailable: true });
  t.match(denying!.admit('alice', { stream: true, reserve: { tokens: 0, usd: 0 } }), { ok: true }, 'a client without limits: admitted');
  t.match(await engine!.snapshot(), { store: 'redis', state: 'local', clients: { bob: { tokensPerDay: { used: 30 } } } }, 'GET /limits: what this replica saw');
  t.ok(await until(() => local.logs.some((l) => l.event === 'limits_store_unreachable')));
  t.match(
    local.logs.filter((l) => l.level !== 'info'),
    [{ level: 'warn', event: 'limits_store_unreachable', reason: 'connect', message: /ECONNREFUSED/ }],
    'unreachable: one warn line',
  );

  await redis.restart();
  t.ok(await until(() => engine!.state() === 'connected' && denying!.state() === 'connected'), 'both connect once Redis is up');
  t.ok(await until(() => pendingOf(engine!) === 0));
  const direct = openClient(t, { url: redis.url });
  await direct.connected();
  t.equal(await direct.client.send(['HGET', 'test:{bob}:day:20261206', 't']), '30', 'the 30 tokens used meanwhile are in Redis');
  const ttl = (await direct.client.send(['PTTL', 'test:{bob}:day:20261206'])) as number;
  t.ok(ttl > 0 && ttl <= 12 * 3_600_000 + 2 * 86_400_000, 'the day key a settlement created expires after its day and the margin');
  t.match(await deny.admit(0, 'bob', 10), { ok: true }, 'deny admits again, through Redis');
  t.match(await engine!.snapshot(), { state: 'connected', clients: { bob: { tokensPerDay: { used: 40 } } } }, 'the other replica sees it');
});
