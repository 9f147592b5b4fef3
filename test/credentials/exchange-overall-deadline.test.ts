// A token endpoint that trickles a byte a second never trips an idle timer: one exchange has an overall
// deadline of 30 s and then counts as a failed refresh, retried with backoff like any other.
import t from 'tap';
import { request } from '../helpers/http';
import { fetchText } from '../helpers/proxy';
import { metricValue, startKeyless } from '../helpers/keyless';

t.test('a trickling token endpoint fails the exchange at the 30 s deadline', { timeout: 90_000 }, async (t) => {
  const k = await startKeyless(t, { answers: [{ trickle: { intervalMs: 1000 } }], waitReady: false });
  const failed = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure', 45_000);
  t.match(failed, { trigger: 'start', reason: 'timeout', message: /within 30000 ms/ });
  const startedAt = k.tokens.exchanges[0]!.receivedAt;
  t.ok(Date.now() - startedAt >= 29_000, 'not before the deadline');
  await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'success', 15_000);
  t.equal((await request(`${k.proxy.adminUrl}/readyz`)).status, 200, 'the retry after the deadline got a credential');
  const metrics = (await fetchText(`${k.proxy.adminUrl}/metrics`)).text;
  t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'upstream', result: 'failure' }), 1, 'counted as a failed refresh');
});
