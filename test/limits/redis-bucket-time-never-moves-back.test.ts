// Replicas' clocks differ and their scripts reach Redis out of order. A call from a replica whose clock is behind
// must not set the bucket's time back, or the next call credits the same seconds' refill a second time: a burst
// over three replicas on a loaded machine admitted 21 of requestsPerMinute: 20.
import t from 'tap';
import { startRedis } from '../helpers/redis-server';
import { startEngines, until } from './engines';

t.test('a replica behind the others adds no refill, and takes none back from the next', async (t) => {
  const redis = await startRedis(t);
  const { engines, clock, admit } = startEngines(t, { url: redis.url, count: 2, clients: { bob: { requestsPerMinute: 60 } } });
  t.ok(await until(() => engines.every((e) => e.state() === 'connected')), 'connected');
  const start = clock.now;
  const admitted = async (i: number) => {
    let n = 0;
    while ((await admit(i, 'bob')).ok) n++;
    return n;
  };
  t.equal(await admitted(0), 60, 'the full bucket');
  clock.now = start + 3_000;
  t.ok((await admit(0, 'bob')).ok, '3 s later: 3 refilled, one taken');
  clock.now = start + 1_000;
  t.ok((await admit(1, 'bob')).ok, 'a replica 2 s behind takes one of the two left');
  clock.now = start + 3_000;
  t.equal(await admitted(0), 1, 'the last one, and no second credit for the same 2 s');
});
