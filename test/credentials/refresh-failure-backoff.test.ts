// A failed refresh is retried with jittered backoff (1 s doubling to 60 s, each wait between half and the whole
// step) while the current credential still serves; once it has expired, requests get 503
// upstream_credential_unavailable with nothing upstream, /readyz turns 503, and the first good exchange ends it.
import t from 'tap';
import { sleep } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { fetchText } from '../helpers/proxy';
import { metricValue, startKeyless } from '../helpers/keyless';

t.test('backoff while valid, 503 once expired, recovery', async (t) => {
  const k = await startKeyless(t, { answers: [{ token: { expiresIn: 15 } }] });
  k.tokens.otherwise = { error: { status: 503, body: { error: 'temporarily_unavailable', error_description: 'maintenance' } } };

  const failures = async (n: number) => {
    while (k.proxy.logs.filter((l) => l.event === 'credential_refresh' && l.result === 'failure').length < n) await sleep(50);
    return k.proxy.logs.filter((l) => l.event === 'credential_refresh' && l.result === 'failure');
  };
  const [first] = await failures(1); // the refresh at 10 s
  t.match(first, {
    level: 'warn',
    trigger: 'schedule',
    reason: 'server_error',
    status: 503,
    oauthError: 'temporarily_unavailable',
    description: 'maintenance',
  });
  t.type(first!.validUntil, 'string', 'still valid: the failure says until when');
  t.equal((await request(`${k.proxy.url}/v1/models`, { headers: k.auth })).status, 200, 'the current credential still serves');

  const logged = await failures(3);
  logged.forEach((line, i) => {
    const step = 1000 * 2 ** i;
    t.ok(line.retryInMs >= step / 2 && line.retryInMs <= step, `retry ${i + 1} waits ${line.retryInMs} ms, within ${step / 2}-${step}`);
  });
  const exchanges = k.tokens.exchanges.slice(1);
  for (let i = 1; i < 3; i++) {
    const gap = exchanges[i]!.receivedAt - exchanges[i - 1]!.receivedAt;
    t.ok(gap >= logged[i - 1]!.retryInMs - 20, `attempt ${i + 1} came after the announced wait (${gap} ms)`);
  }

  // Then past its 15 s lifetime.
  await sleep(Math.max(0, Date.parse(first!.validUntil) - Date.now()) + 50);
  const before = k.up.requests.length;
  const res = await request(`${k.proxy.url}/v1/models`, { headers: k.auth });
  t.equal(res.status, 503);
  t.equal(res.json().error.code, 'upstream_credential_unavailable');
  t.equal(k.up.requests.length, before, 'nothing sent upstream without a credential');
  t.equal((await request(`${k.proxy.adminUrl}/readyz`)).status, 503, '/readyz 503: the credential expired and none could be had');
  const expired = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure' && l.validUntil === null, 10_000);
  t.equal(expired.level, 'error', 'a failure with no valid credential left is an error');

  k.tokens.otherwise = { token: {} };
  await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'success' && l.trigger === 'retry', 70_000);
  t.equal((await request(`${k.proxy.url}/v1/models`, { headers: k.auth })).status, 200, 'served again');
  t.equal((await request(`${k.proxy.adminUrl}/readyz`)).status, 200, 'and ready again');
  const metrics = (await fetchText(`${k.proxy.adminUrl}/metrics`)).text;
  const failed = k.proxy.logs.filter((l) => l.event === 'credential_refresh' && l.result === 'failure').length;
  t.ok(failed >= 3);
  t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'upstream', result: 'failure' }), failed, 'each failure counted');
  t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'upstream', result: 'success' }), 2);
});
