import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from '../redis/real-client';
import { startEngines, ticketOf, until } from './engines';

t.test('stream leases are shared, renewed while open, and lapse within 30 s of a replica that stops', async (t) => {
  const redis = await startRedis(t);
  // Renewal every 20 ms of real time, so the test can watch renewals happen while it moves the injected clock.
  const { engines, clock, admit } = startEngines(t, { url: redis.url, count: 2, renewMs: 20, clients: { bob: { concurrentStreams: 2 } } });
  t.ok(await until(() => engines.every((e) => e.state() === 'connected')));
  const a = engines[0]!;
  const first = ticketOf(await admit(0, 'bob', 0, 0, true));
  ticketOf(await admit(0, 'bob', 0, 0, true));
  t.match(await admit(1, 'bob', 0, 0, true), { ok: false, limit: 'concurrentStreams', retryAfterSeconds: 1, budget: false }, 'the other replica sees both');
  const plain = engines[1]!.admit('bob', { stream: false, reserve: { tokens: 0, usd: 0 } });
  t.notOk(plain instanceof Promise, 'a request that does not stream: nothing to ask Redis');
  t.match(plain, { ok: true });

  const direct = openClient(t, { url: redis.url });
  await direct.connected();
  const expiries = async () =>
    ((await direct.client.send(['ZRANGE', 'test:{bob}:streams', 0, -1, 'WITHSCORES'])) as [string, number][]).map(([, score]) => score);
  const renewed = () => until(async () => (await expiries()).every((e) => e === clock.now + 30_000));
  t.ok(await renewed(), 'each lease expires 30 s after its last renewal');
  clock.now += 25_000;
  t.ok(await renewed(), 'renewed on the next tick');
  clock.now += 25_000;
  t.ok(await renewed());
  t.match(await admit(1, 'bob', 0, 0, true), { ok: false, limit: 'concurrentStreams' }, 'still held 50 s after admission, by renewals');

  first.end({ tokens: 0, usd: 0 });
  t.ok(await until(async () => (await admit(1, 'bob', 0, 0, true)).ok), 'an ended stream frees its lease at once');
  t.match(await admit(1, 'bob', 0, 0, true), { ok: false, limit: 'concurrentStreams' }, 'full again');

  t.ok(await renewed(), "B's lease renewed by B, A's by A");
  await a.close(); // replica A dies with a stream open: nobody renews its lease
  clock.now += 29_000;
  t.match(await admit(1, 'bob', 0, 0, true), { ok: false, limit: 'concurrentStreams' }, "A's lease, 29 s after its last renewal");
  clock.now += 2_000;
  t.match(await admit(1, 'bob', 0, 0, true), { ok: true }, 'free within 30 s');
});
