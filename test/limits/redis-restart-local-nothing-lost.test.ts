import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from '../redis/real-client';
import { pendingOf, startEngines, ticketOf, until } from './engines';

const NANO_PER_TOKEN = 1000; // each request costs 1 micro-dollar a token

t.test('Redis killed and restarted mid-traffic (local): each replica enforces alone, and the store gets every token it saw', async (t) => {
  // Every write fsynced, so what Redis held before the kill is there after it: the total can be checked exactly.
  const redis = await startRedis(t, { appendOnly: true });
  const { engines, hooks, admit } = startEngines(t, {
    url: redis.url,
    count: 3,
    clients: { bob: { tokensPerDay: 1_000_000_000, usdPerDay: 1000 }, carol: { requestsPerMinute: 6 } },
  });
  t.ok(await until(() => engines.every((e) => e.state() === 'connected')), 'all connected');
  const held = ticketOf(await admit(0, 'bob', 500, 500e-6));

  let used = 0;
  let ended = 0;
  let running = true;
  const traffic = async (i: number) => {
    for (let n = 1; running; n++) {
      const verdict = await admit(i, 'bob', 50, 50e-6);
      if (!verdict.ok) throw new Error(`refused: ${JSON.stringify(verdict)}`);
      const tokens = 1 + (n % 100);
      verdict.ticket.end({ tokens, usd: tokens * 1e-6 });
      used += tokens;
      ended++;
      await new Promise((resolve) => setImmediate(resolve)); // a local verdict is synchronous: let I/O in
    }
  };
  const loops = engines.flatMap((_, i) => [0, 1, 2, 3].map(() => traffic(i)));
  const endedBy = (more: number) => {
    const target = ended + more;
    return until(() => ended >= target);
  };

  t.ok(await endedBy(300), 'traffic through Redis');
  await redis.kill();
  t.ok(await until(() => engines.every((e) => e.state() === 'local')), 'every replica decides alone');
  held.end({ tokens: 70, usd: 70e-6 });
  used += 70;
  for (const [i] of engines.entries()) {
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => admit(i, 'carol')));
    t.equal(verdicts.filter((v) => v.ok).length, 6, `replica ${i} alone admits its own 6 requests a minute`);
    t.match(
      verdicts.find((v) => !v.ok),
      { ok: false, limit: 'requestsPerMinute', budget: false },
    );
  }
  t.ok(await endedBy(300), 'traffic goes on while Redis is down');

  await redis.restart();
  t.ok(await until(() => engines.every((e) => e.state() === 'connected')), 'back to Redis');
  t.ok(await endedBy(300), 'traffic through Redis again');
  running = false;
  await Promise.all(loops);

  t.ok(await until(() => engines.every((e) => pendingOf(e) === 0)), 'everything kept for the store was sent');
  const direct = openClient(t, { url: redis.url });
  await direct.connected();
  const [tokens, nano] = (await direct.client.send(['HMGET', 'test:{bob}:day:20261206', 't', 'u'])) as string[];
  t.equal(Number(tokens), used, 'every token seen, counted once: through Redis, settled while down, admitted locally');
  t.equal(Number(nano), used * NANO_PER_TOKEN, 'and every nano-dollar');
  t.notOk(
    hooks.events.some((e) => e.startsWith('dropped:')),
    'nothing dropped',
  );
  const three = (event: string) => [event, event, event];
  t.same(
    hooks.events.filter((e) => e.startsWith('up:')),
    [...three('up:false'), ...three('up:true'), ...three('up:false'), ...three('up:true')],
    'store_up of each replica: down until connected, up, down, up',
  );
});
