import t from 'tap';
import { MAX_BACKOFF_MS, backoffDelayMs, refreshDelayMs } from '../../src/credentials/credential';

t.test('refresh when a third of the lifetime is left', async (t) => {
  t.equal(refreshDelayMs(3600_000), 2400_000, 'an hour: after 40 minutes');
  t.equal(refreshDelayMs(30_000), 20_000);
  t.equal(refreshDelayMs(6000), 10_000, 'short tokens: a new credential no sooner than 10 s after the last');
  t.equal(refreshDelayMs(300), 10_000);
  t.equal(refreshDelayMs(365 * 24 * 3600_000), 2 ** 31 - 1, 'a year: capped at the longest timer Node keeps');
});

t.test('backoff: 1 s doubling to 60 s, each wait between half and the whole step', async (t) => {
  const steps = [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000];
  steps.forEach((step, i) => {
    t.equal(backoffDelayMs(i + 1, 0), step / 2, `failure ${i + 1}: at least ${step / 2}`);
    t.equal(backoffDelayMs(i + 1, 0.999999), step, `failure ${i + 1}: at most ${step}`);
  });
  t.equal(backoffDelayMs(50, 0.999999), MAX_BACKOFF_MS, 'never above 60 s');
  const draws = new Set(Array.from({ length: 20 }, (_, i) => backoffDelayMs(3, i / 20)));
  t.equal(draws.size, 20, 'the jitter spreads retries');
});
