import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { startRelay } from '../helpers/tcp-relay';
import { openClient } from '../redis/real-client';
import { pendingOf, startEngines, ticketOf, until } from './engines';

const DAY_KEY = 'test:{bob}:day:20261206';

t.test('Redis slower than timeoutMs (local): decided here, the late admission refunded, the usage sent once Redis answers in time', async (t) => {
  const redis = await startRedis(t);
  const relay = await startRelay(t, redis.port);
  const { engines, hooks, logs, admit } = startEngines(t, {
    url: `redis://127.0.0.1:${relay.port}`,
    store: { timeoutMs: 50 },
    clients: { bob: { tokensPerDay: 10_000, requestsPerMinute: 3 } },
  });
  const [engine] = engines;
  t.ok(await until(() => engine!.state() === 'connected'));
  // Redis has the script from then on: a late EVALSHA runs (a NOSCRIPT would only come back late).
  ticketOf(await admit(0, 'bob')).end({ tokens: 0, usd: 0 });
  relay.delayMs = 300;
  const slow = await admit(0, 'bob', 100);
  t.match(slow, { ok: true }, 'admitted by this replica once the deadline passed');
  t.equal(engine!.state(), 'local', 'local for a moment after the timeout');
  t.ok(hooks.events.includes('error:timeout'), 'store_errors_total{reason="timeout"}');
  t.match(
    logs.filter((l) => l.event === 'limits_store_slow'),
    [{ level: 'warn', reason: 'timeout', message: 'no reply from Redis within 50 ms' }],
  );
  t.match(await admit(0, 'bob'), { ok: true });
  t.match(await admit(0, 'bob'), { ok: true });
  t.match(await admit(0, 'bob'), { ok: false, limit: 'requestsPerMinute' }, 'the local bucket of 3 a minute holds alone');
  ticketOf(slow).end({ tokens: 40, usd: 0 });

  const direct = openClient(t, { url: redis.url });
  await direct.connected();
  t.ok(await until(async () => (await direct.client.send(['HGET', DAY_KEY, 't'])) === '100'), 'Redis ran the admission late: its reservation is there');
  relay.delayMs = 0;
  t.ok(await until(() => engine!.state() === 'connected'), 'Redis asked again after the moment');
  // Redis's own bucket took two requests (the first, the late one): one more fits, and its success sends what waits.
  ticketOf(await admit(0, 'bob')).end({ tokens: 0, usd: 0 });
  t.ok(await until(() => pendingOf(engine!) === 0), 'what waited was sent');
  t.equal(await direct.client.send(['HGET', DAY_KEY, 't']), '40', 'the late reservation refunded, the 40 tokens used counted once');
});

t.test('Redis slower than timeoutMs (deny): limits_unavailable after the deadline', async (t) => {
  const redis = await startRedis(t);
  const relay = await startRelay(t, redis.port);
  const { engines, admit } = startEngines(t, {
    url: `redis://127.0.0.1:${relay.port}`,
    store: { timeoutMs: 50 },
    onStoreError: 'deny',
    clients: { bob: { requestsPerMinute: 100 } },
  });
  t.ok(await until(() => engines[0]!.state() === 'connected'));
  relay.delayMs = 300;
  t.same(await admit(0, 'bob'), { ok: false, unavailable: true });
  t.equal(engines[0]!.state(), 'deny');
  t.same(await admit(0, 'bob'), { ok: false, unavailable: true }, 'refused at once for a moment, Redis left alone');
  relay.delayMs = 0;
  t.ok(await until(async () => (await admit(0, 'bob')).ok), 'admitted by Redis once it answers in time');
});
