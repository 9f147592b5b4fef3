import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { openClient } from '../redis/real-client';
import { startEngines, until } from './engines';

/** How many times Redis ran a command since the last CONFIG RESETSTAT. */
async function calls(send: (args: string[]) => Promise<unknown>, command: string): Promise<number> {
  const info = String(await send(['INFO', 'commandstats']));
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

t.test('onStoreError deny: unavailable while Redis is down; clients without limits never touch the store', async (t) => {
  const redis = await startRedis(t);
  const { engines, admit } = startEngines(t, { url: redis.url, onStoreError: 'deny', clients: { bob: { requestsPerMinute: 100 } } });
  const [engine] = engines;
  t.ok(await until(() => engine!.state() === 'connected'));
  const direct = openClient(t, { url: redis.url });
  await direct.connected();
  const send = (args: string[]) => direct.client.send(args);
  await send(['CONFIG', 'RESETSTAT']);
  for (let i = 0; i < 50; i++) {
    const verdict = engine!.admit('alice', { stream: i % 2 === 0, reserve: { tokens: 100, usd: 0.01 } });
    if (!verdict || verdict instanceof Promise || !verdict.ok) throw new Error('alice is admitted at once');
    verdict.ticket.end({ tokens: 200, usd: 0.02 });
    await verdict.ticket.add({ tokens: 1, usd: 0 });
  }
  t.equal((await calls(send, 'evalsha')) + (await calls(send, 'eval')) + (await calls(send, 'zadd')), 0, "alice's 50 requests sent Redis nothing");
  t.match(await admit(0, 'bob'), { ok: true });
  t.equal(await calls(send, 'evalsha'), 1, "bob's request is one EVALSHA");

  await redis.kill();
  t.ok(await until(() => engine!.state() === 'deny'), 'state deny');
  t.same(await admit(0, 'bob'), { ok: false, unavailable: true }, 'bob: limits_unavailable');
  t.match(engine!.admit('alice', { stream: true, reserve: { tokens: 1, usd: 0 } }), { ok: true }, 'alice: admitted at once');
  t.match(await engine!.snapshot(), { store: 'redis', state: 'deny' });

  await redis.restart();
  t.ok(await until(() => engine!.state() === 'connected'), 'connected again');
  t.match(await admit(0, 'bob'), { ok: true }, 'bob admitted by Redis again');
});
