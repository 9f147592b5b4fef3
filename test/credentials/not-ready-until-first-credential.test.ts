// Until the first credential is obtained, /readyz is 503 and every request gets 503
// upstream_credential_unavailable with nothing sent upstream; once a later attempt succeeds, both turn 200.
import t from 'tap';
import { request } from '../helpers/http';
import { fetchText } from '../helpers/proxy';
import { metricValue, startKeyless, waitForStatus } from '../helpers/keyless';

t.test('no credential yet: /readyz 503, requests 503, nothing upstream; then ready', async (t) => {
  const refusal = { error: { status: 500, body: { error: 'temporarily_unavailable' } } };
  const k = await startKeyless(t, { answers: [refusal, refusal], waitReady: false });
  await k.tokens.waitForExchanges(1);

  const ready = await request(`${k.proxy.adminUrl}/readyz`);
  t.equal(ready.status, 503, '/readyz 503 before the first credential');
  t.same(ready.json(), { status: 'waiting_for_upstream_credential' });
  const res = await request(`${k.proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...k.auth, 'content-type': 'application/json' },
    body: '{"model":"gpt-4.1-mini","messages":[]}',
  });
  t.equal(res.status, 503);
  t.match(res.json(), { error: { type: 'proxy_error', code: 'upstream_credential_unavailable' } });
  t.equal(k.up.requests.length, 0, 'nothing sent upstream');

  const failed = await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'failure');
  t.match(failed, { level: 'error', credential: 'upstream', reason: 'server_error', status: 500, oauthError: 'temporarily_unavailable', validUntil: null });
  t.ok(failed.retryInMs >= 500 && failed.retryInMs <= 1000, `first retry within 0.5-1 s (${failed.retryInMs} ms)`);

  // Two refusals, then the endpoint's default: a token.
  await waitForStatus(`${k.proxy.adminUrl}/readyz`, 200);
  t.equal(k.tokens.exchanges.length, 3, 'ready after the third attempt');
  t.equal((await request(`${k.proxy.url}/v1/models`, { headers: k.auth })).status, 200);
  const metrics = (await fetchText(`${k.proxy.adminUrl}/metrics`)).text;
  t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'upstream', result: 'failure' }), 2);
  t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'upstream', result: 'success' }), 1);
  t.equal(metricValue(metrics, 'openai_proxy_upstream_errors_total', { reason: 'credential_unavailable' }), 1, 'the 503 counts as an upstream error');
  const line = k.proxy.logs.find((l) => l.event === 'request' && l.status === 503);
  t.match(line, { error: 'upstream_credential_unavailable', client: 'default' });
});
