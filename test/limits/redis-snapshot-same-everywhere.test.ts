import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { startEngines, ticketOf, until } from './engines';

t.test('GET /limits reads the store: every replica answers the same, each client only with its limits', async (t) => {
  const redis = await startRedis(t);
  const { engines, admit } = startEngines(t, {
    url: redis.url,
    count: 3,
    clients: {
      bob: {
        requestsPerMinute: 600,
        tokensPerMinute: 200000,
        tokensPerDay: 2000000,
        tokensPerMonth: 50000000,
        usdPerDay: 20,
        usdPerMonth: 250,
        concurrentStreams: 20,
      },
      carol: { requestsPerMinute: 5 },
    },
  });
  t.ok(await until(() => engines.every((e) => e.state() === 'connected')));
  ticketOf(await admit(0, 'bob', 1000, 0.001, true));
  ticketOf(await admit(1, 'bob', 234)).end({ tokens: 234, usd: 0.5 });
  ticketOf(await admit(2, 'carol'));
  const expected = {
    store: 'redis',
    state: 'connected',
    clients: {
      bob: {
        concurrentStreams: { limit: 20, open: 1 },
        requestsPerMinute: { limit: 600, remaining: 598 },
        tokensPerMinute: { limit: 200000, remaining: 198766 },
        tokensPerDay: { limit: 2000000, used: 1234, remaining: 1998766, resetsAt: '2026-12-07T00:00:00Z' },
        tokensPerMonth: { limit: 50000000, used: 1234, remaining: 49998766, resetsAt: '2027-01-01T00:00:00Z' },
        usdPerDay: { limit: 20, used: 0.501, remaining: 19.499, resetsAt: '2026-12-07T00:00:00Z' },
        usdPerMonth: { limit: 250, used: 0.501, remaining: 249.499, resetsAt: '2027-01-01T00:00:00Z' },
      },
      carol: { requestsPerMinute: { limit: 5, remaining: 4 } },
    },
  };
  t.ok(await until(async () => JSON.stringify(await engines[0]!.snapshot()) === JSON.stringify(expected)), 'settled');
  for (const engine of engines) t.same(await engine.snapshot(), expected);
});
