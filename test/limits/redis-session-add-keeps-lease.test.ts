import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { startEngines, ticketOf, until } from './engines';

t.test("a session's usage so far keeps its stream lease: the next stream over concurrentStreams is still refused", async (t) => {
  const redis = await startRedis(t);
  const { engines, admit } = startEngines(t, { url: redis.url, clients: { bob: { concurrentStreams: 1, tokensPerDay: 10_000 } } });
  t.ok(await until(() => engines[0]!.state() === 'connected'), 'connected');
  const session = ticketOf(await admit(0, 'bob', 10, 0, true));
  t.match(await admit(0, 'bob', 10, 0, true), { ok: false, limit: 'concurrentStreams' }, 'a second stream is refused while the session is open');
  t.equal(await session.add({ tokens: 500, usd: 0 }), undefined, 'usage so far taken');
  t.match(await admit(0, 'bob', 10, 0, true), { ok: false, limit: 'concurrentStreams' }, 'and still refused after it');
  session.end({ tokens: 0, usd: 0 });
  t.ok(await until(async () => (await admit(0, 'bob', 10, 0, true)).ok), 'admitted once the session ended');
});
