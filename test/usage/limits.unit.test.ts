import t from 'tap';
import { Bucket, ClientLimiter } from '../../src/usage/limits';

t.test('a bucket refills continuously and says how long to wait', async (t) => {
  const bucket = new Bucket(60, 0); // one a second
  t.equal(bucket.waitSeconds(60, 0), 0);
  bucket.take(60, 0);
  t.equal(bucket.waitSeconds(1, 0), 1);
  t.equal(bucket.waitSeconds(1, 1000), 0, 'one second later one is back');
  t.equal(bucket.waitSeconds(10, 1000), 9);
  t.equal(bucket.waitSeconds(60, 120_000), 0, 'never above its size');
  bucket.take(60, 120_000);
  t.equal(bucket.waitSeconds(1, 120_000), 1);
});

t.test('requests per minute', async (t) => {
  const limiter = new ClientLimiter({ requestsPerMinute: 2 }, 0);
  t.equal(limiter.admit(false, 0), undefined);
  t.equal(limiter.admit(false, 0), undefined);
  t.same(limiter.admit(false, 0), { limit: 'requests', retryAfterSeconds: 30 });
  t.equal(limiter.admit(false, 30_000), undefined, 'refilled half a minute later');
});

t.test('tokens per minute are charged after the response and refuse while in debt', async (t) => {
  const limiter = new ClientLimiter({ tokensPerMinute: 600 }, 0);
  t.equal(limiter.admit(false, 0), undefined);
  limiter.release(false, 900, 0);
  t.same(limiter.admit(false, 0), { limit: 'tokens', retryAfterSeconds: 30 }, '300 in debt at 10/s');
  t.equal(limiter.admit(false, 30_001), undefined);
});

t.test('concurrent streams', async (t) => {
  const limiter = new ClientLimiter({ concurrentStreams: 1 }, 0);
  t.equal(limiter.admit(true, 0), undefined);
  t.same(limiter.admit(true, 0), { limit: 'streams', retryAfterSeconds: 1 });
  t.equal(limiter.admit(false, 0), undefined, 'non-streaming requests do not count');
  limiter.release(true, 0, 0);
  t.equal(limiter.admit(true, 0), undefined);
});
