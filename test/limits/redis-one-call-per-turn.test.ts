import t from 'tap';
import { RedisClient } from '../../src/redis/client';
import { startRedis } from '../helpers/redis-server';
import { startEngines, ticketOf, until } from './engines';

/** How many scripts Redis has run since the last reset (INFO commandstats). */
async function scriptCalls(client: RedisClient): Promise<number> {
  const text = String(await client.send(['INFO', 'commandstats']));
  return Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(text)?.[1] ?? 0) + Number(/^cmdstat_eval:calls=(\d+)/m.exec(text)?.[1] ?? 0);
}

t.test("one event-loop turn's admissions and settlements of a client go to Redis as one script call", async (t) => {
  const redis = await startRedis(t);
  const stats = new RedisClient({ url: redis.url });
  t.teardown(() => stats.close());
  const { engines, admit } = startEngines(t, {
    url: redis.url,
    clients: { bob: { requestsPerMinute: 50, tokensPerDay: 100_000 }, carol: { tokensPerDay: 1000 }, dave: { requestsPerMinute: 1000 } },
  });
  const engine = engines[0]!;
  t.ok(await until(() => engine.state() === 'connected' && stats.connected), 'connected');
  await admit(0, 'bob'); // the script is loaded: EVALSHA from here on
  await stats.send(['CONFIG', 'RESETSTAT']);

  const first = await Promise.all(Array.from({ length: 40 }, () => admit(0, 'bob', 10)));
  t.equal(first.filter((v) => v.ok).length, 40, '40 admitted');
  t.equal(await scriptCalls(stats), 1, 'in one script call');
  const second = await Promise.all(Array.from({ length: 60 }, () => admit(0, 'bob', 10)));
  t.equal(second.filter((v) => v.ok).length, 9, 'the next 60 in one turn: 9 admitted (50 a minute, one taken before)');
  t.match(
    second.find((v) => !v.ok),
    { ok: false, limit: 'requestsPerMinute' },
  );
  t.equal(await scriptCalls(stats), 2, 'in one more call');

  for (const verdict of [...first, ...second].filter((v) => v.ok)) ticketOf(verdict).end({ tokens: 7, usd: 0 });
  t.ok(
    await until(async () => (await engine.snapshot()).clients.bob?.tokensPerDay?.used === 49 * 7),
    'every settlement counted: 49 x 7 tokens (the first admission is still open, at 0)',
  );
  t.equal(await scriptCalls(stats), 3, '49 settlements in one call');

  // A session's usage so far and its end in the same turn: both count, in order.
  const session = ticketOf(await admit(0, 'carol', 10));
  const added = session.add({ tokens: 30, usd: 0 });
  session.end({ tokens: 5, usd: 0 });
  t.equal(await added, undefined, 'the add applied and left the budget open');
  t.ok(await until(async () => (await engine.snapshot()).clients.carol?.tokensPerDay?.used === 35), 'add then end of one ticket in one turn: 30 + 5 counted');

  // More than a call carries at once: split, every admission still decided.
  const before = await scriptCalls(stats);
  const many = await Promise.all(Array.from({ length: 201 }, () => admit(0, 'dave')));
  t.equal(many.filter((v) => v.ok).length, 201, '201 admitted');
  t.equal((await scriptCalls(stats)) - before, 2, 'in two calls of at most 200');
});
