import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from '../redis/real-client';
import { startEngines, ticketOf, until } from './engines';

t.test('a token bucket in Redis: the reservation capped at the limit, settled down, refilled', async (t) => {
  const redis = await startRedis(t);
  const { engines, clock, admit } = startEngines(t, { url: redis.url, count: 2, clients: { carol: { tokensPerMinute: 600 } } });
  t.ok(await until(() => engines.every((e) => e.state() === 'connected')));
  const big = ticketOf(await admit(0, 'carol', 5000));
  t.match(
    await admit(1, 'carol', 1),
    { ok: false, limit: 'tokensPerMinute', retryAfterSeconds: 1 },
    'a reservation over the limit passed an empty bucket and took it all',
  );
  big.end({ tokens: 300, usd: 0 });
  t.ok(await until(async () => (await engines[1]!.snapshot()).clients.carol!.tokensPerMinute!.remaining === 300), 'settled down: seen from the other replica');
  t.match(await admit(1, 'carol', 300), { ok: true });
  t.match(await admit(0, 'carol', 300), { ok: false, limit: 'tokensPerMinute', retryAfterSeconds: 30 });
  clock.now += 30_000;
  t.equal((await engines[0]!.snapshot()).clients.carol!.tokensPerMinute!.remaining, 300, 'refilled at 10 a second');
});

t.test('day and month windows in Redis: UTC, reset at midnight and on the 1st, a late settlement in its own day', async (t) => {
  const redis = await startRedis(t);
  const { engines, clock, admit } = startEngines(t, {
    url: redis.url,
    count: 2,
    start: Date.UTC(2026, 11, 31, 23, 59, 0),
    clients: { bob: { tokensPerDay: 1000, tokensPerMonth: 1500 } },
  });
  t.ok(await until(() => engines.every((e) => e.state() === 'connected')));
  ticketOf(await admit(0, 'bob', 400)).end({ tokens: 600, usd: 0 });
  t.ok(await until(async () => (await engines[1]!.snapshot()).clients.bob!.tokensPerDay!.used === 600));
  t.same((await engines[1]!.snapshot()).clients.bob, {
    tokensPerDay: { limit: 1000, used: 600, remaining: 400, resetsAt: '2027-01-01T00:00:00Z' },
    tokensPerMonth: { limit: 1500, used: 600, remaining: 900, resetsAt: '2027-01-01T00:00:00Z' },
  });
  t.match(await admit(1, 'bob', 500), { ok: false, limit: 'tokensPerDay', retryAfterSeconds: 60, budget: true }, 'retry-after: the time to midnight');
  clock.now += 30_000;
  const late = ticketOf(await admit(0, 'bob', 100));
  clock.now = Date.UTC(2027, 0, 1, 0, 0, 5);
  late.end({ tokens: 400, usd: 0 });
  const direct = openClient(t, { url: redis.url });
  await direct.connected();
  t.ok(
    await until(async () => (await direct.client.send(['HGET', 'test:{bob}:day:20261231', 't'])) === '1000'),
    'the settlement went to the day of its admission',
  );
  t.equal(await direct.client.send(['HGET', 'test:{bob}:month:202612', 't']), '1000');
  t.same((await engines[0]!.snapshot()).clients.bob!.tokensPerDay, { limit: 1000, used: 0, remaining: 1000, resetsAt: '2027-01-02T00:00:00Z' }, 'a new day');
  t.match(await admit(1, 'bob', 900), { ok: true });
  t.match(await admit(1, 'bob', 200), { ok: false, limit: 'tokensPerDay', retryAfterSeconds: 86_395, budget: true });
  const ttl = (await direct.client.send(['PTTL', 'test:{bob}:day:20270101'])) as number;
  t.ok(ttl > 86_400_000 && ttl <= 3 * 86_400_000, 'a day key expires after its day, plus the margin for late settlements');
});

t.test('money budgets count whole nano-dollars', async (t) => {
  const redis = await startRedis(t);
  const { engines, admit } = startEngines(t, { url: redis.url, count: 2, clients: { bob: { usdPerDay: 0.3, usdPerMonth: 10 } } });
  t.ok(await until(() => engines.every((e) => e.state() === 'connected')));
  for (let i = 0; i < 3; i++) ticketOf(await admit(i % 2, 'bob', 0, 0.05)).end({ tokens: 0, usd: 0.1 });
  t.ok(await until(async () => (await engines[0]!.snapshot()).clients.bob!.usdPerDay!.used === 0.3));
  t.match(await admit(1, 'bob', 0, 0), { ok: false, limit: 'usdPerDay', retryAfterSeconds: 12 * 3600, budget: true });
  t.same((await engines[1]!.snapshot()).clients.bob!.usdPerMonth, { limit: 10, used: 0.3, remaining: 9.7, resetsAt: '2027-01-01T00:00:00Z' });
});

t.test('add() charges a session beyond its reservation and names a spent budget', async (t) => {
  const redis = await startRedis(t);
  const { engines, admit } = startEngines(t, { url: redis.url, clients: { bob: { tokensPerDay: 1000 } } });
  t.ok(await until(() => engines[0]!.state() === 'connected'));
  const session = ticketOf(await admit(0, 'bob', 100));
  t.equal(await session.add({ tokens: 50, usd: 0 }), undefined, 'within the reservation');
  t.equal(await session.add({ tokens: 450, usd: 0 }), undefined);
  t.equal((await engines[0]!.snapshot()).clients.bob!.tokensPerDay!.used, 500);
  t.equal(await session.add({ tokens: 500, usd: 0 }), 'tokensPerDay');
  session.end({ tokens: 20, usd: 0 });
  t.ok(await until(async () => (await engines[0]!.snapshot()).clients.bob!.tokensPerDay!.used === 1020), 'the total of add() and end()');
});
