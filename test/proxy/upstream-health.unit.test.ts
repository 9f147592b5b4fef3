import t from 'tap';
import { FAILURES_BEFORE_SKIP, SKIP_MS, UpstreamHealth, retryAfterTime } from '../../src/proxy/upstream-health';

t.test('five failures in a row pass an upstream over for 30 s, then one request probes it', async (t) => {
  const h = new UpstreamHealth();
  for (let i = 1; i < FAILURES_BEFORE_SKIP; i++) {
    h.failed(0);
    t.ok(h.admits(0), `after ${i} failures: still tried`);
  }
  h.failed(1000);
  t.notOk(h.admits(1000), 'the fifth: passed over');
  t.notOk(h.admits(1000 + SKIP_MS - 1), 'for 30 s');
  t.ok(h.admits(1000 + SKIP_MS), 'then one request probes it');
  t.notOk(h.admits(1000 + SKIP_MS), 'while the probe runs, the others pass it over');
  h.failed(1000 + SKIP_MS);
  t.notOk(h.admits(1000 + SKIP_MS + 1), 'a failed probe: passed over again');
  t.ok(h.admits(1000 + 2 * SKIP_MS), 'the next probe');
  h.succeeded();
  t.ok(h.admits(1000 + 2 * SKIP_MS) && h.admits(1000 + 2 * SKIP_MS), 'a good probe: tried by everyone again');
});

t.test('a success in between resets the count; an abandoned probe frees the slot', async (t) => {
  const h = new UpstreamHealth();
  for (let i = 0; i < 4; i++) h.failed(0);
  h.succeeded();
  h.failed(0);
  t.ok(h.admits(0), 'not five in a row');
  for (let i = 0; i < 4; i++) h.failed(0);
  t.ok(h.admits(SKIP_MS), 'probe');
  h.abandoned();
  t.ok(h.admits(SKIP_MS), 'another request may probe');
});

t.test('a 429 with retry-after passes it over until then', async (t) => {
  const h = new UpstreamHealth();
  h.refusedUntil(5000, 0);
  t.notOk(h.admits(4999));
  t.ok(h.admits(5000));
  t.equal(retryAfterTime('7', 1000), 8000, 'delay seconds');
  t.equal(retryAfterTime('Wed, 21 Oct 2026 07:28:00 GMT', 0), Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'), 'an HTTP date');
  t.equal(retryAfterTime('soon', 0), undefined);
  t.equal(retryAfterTime(undefined, 0), undefined);
});
