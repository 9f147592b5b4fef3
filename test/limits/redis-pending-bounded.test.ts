import t from 'tap';
import type { ClientLimits } from '../../src/config/limits';
import { startRedis } from '../helpers/redis-server';
import { openClient } from '../redis/real-client';
import { pendingOf, startEngines, ticketOf, until } from './engines';

const BOUND = 100_000;

t.test('usage kept while Redis is down: at most 100,000 records, the oldest dropped and counted, the rest sent once back', async (t) => {
  const redis = await startRedis(t);
  await redis.stop();
  // One record per client and day: 100,001 clients admitted locally make one record over the bound.
  const clients: Record<string, ClientLimits> = {};
  for (let i = 0; i <= BOUND; i++) clients[`c${i}`] = { tokensPerDay: 1000 };
  const { engines, hooks, logs, admit } = startEngines(t, { url: redis.url, clients });
  const [engine] = engines;
  t.equal(engine!.state(), 'local', 'Redis unreachable: local');
  for (let i = 0; i <= BOUND; i++) ticketOf(await admit(0, `c${i}`, 10)).end({ tokens: 1 + (i % 7), usd: 0 });
  t.equal(pendingOf(engine!), BOUND, 'kept: exactly the bound');
  t.same(
    hooks.events.filter((e) => e.startsWith('dropped:')),
    ['dropped:1'],
    'the one over the bound dropped and counted',
  );
  t.match(
    logs.filter((l) => l.event === 'limits_pending_dropped'),
    [{ level: 'warn', dropped: 1, kept: BOUND }],
  );
  ticketOf(await admit(0, 'c5', 10)).end({ tokens: 100, usd: 0 });
  t.equal(pendingOf(engine!), BOUND, "a client's usage of the same day is added to its record, not a new one");

  await redis.restart();
  t.ok(await until(() => pendingOf(engine!) === 0, 60_000), 'all sent once Redis is back');
  const direct = openClient(t, { url: redis.url });
  await direct.connected();
  const day = (i: number) => direct.client.send(['HGET', `test:{c${i}}:day:20261206`, 't']);
  t.equal(await day(0), null, 'the oldest record was the one dropped');
  t.equal(await day(1), '2');
  t.equal(await day(5), '106');
  t.equal(await day(BOUND), String(1 + (BOUND % 7)), 'the newest is there');
  t.equal(await direct.client.send(['DBSIZE']), 2 * BOUND, "each client's day and its replay guard, nothing else");
});
