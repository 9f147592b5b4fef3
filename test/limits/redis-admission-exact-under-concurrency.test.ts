import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { startEngines, until } from './engines';

t.test('three replicas on one Redis admit exactly what one would', async (t) => {
  const redis = await startRedis(t);
  const { engines, admit } = startEngines(t, { url: redis.url, count: 3, clients: { bob: { requestsPerMinute: 20 }, carol: { tokensPerDay: 200 } } });
  t.ok(await until(() => engines.every((e) => e.state() === 'connected')), 'all connected');

  const burst = await Promise.all(Array.from({ length: 90 }, (_, i) => admit(i % 3, 'bob')));
  t.equal(burst.filter((v) => v.ok).length, 20, 'a burst of 90 over three replicas: exactly 20 admitted');
  const refused = burst.find((v) => !v.ok);
  t.match(refused, { ok: false, limit: 'requestsPerMinute', retryAfterSeconds: 3, budget: false });

  const budget = await Promise.all(Array.from({ length: 60 }, (_, i) => admit(i % 3, 'carol', 10)));
  t.equal(budget.filter((v) => v.ok).length, 20, 'reservations of 10 against 200 tokens a day: exactly 20');
  t.match(
    budget.find((v) => !v.ok),
    { ok: false, limit: 'tokensPerDay', retryAfterSeconds: 12 * 3600, budget: true },
  );
});

t.test('a client without limits never touches the store', async (t) => {
  const redis = await startRedis(t);
  const { engines } = startEngines(t, { url: redis.url, clients: { bob: { requestsPerMinute: 1 } } });
  t.ok(await until(() => engines[0]!.state() === 'connected'));
  const verdict = engines[0]!.admit('alice', { stream: true, reserve: { tokens: 5, usd: 0 } });
  t.notOk(verdict instanceof Promise, 'answered at once');
  t.match(verdict, { ok: true });
  await redis.stop();
  t.match(engines[0]!.admit('alice', { stream: false, reserve: { tokens: 5, usd: 0 } }), { ok: true }, 'and with the store gone');
});
