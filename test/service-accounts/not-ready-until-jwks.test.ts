// Until the first JWKS fetch succeeds the proxy is not ready: /readyz 503, ServiceAccount tokens get a 503
// that says why (the caller may be fine; the proxy cannot tell yet), key clients are served as usual. The
// failed fetch is logged with its cause and retried; once it succeeds, tokens are accepted.
import t from 'tap';
import { request } from '../helpers/http';
import { startServiceAccountStack, waitReady } from '../helpers/service-account-stack';

t.test('the JWKS endpoint is down at start, then comes back', async (t) => {
  const s = await startServiceAccountStack(t, { waitReady: false, jwksStatus: 503 });
  const failure = await s.proxy.waitForLog((l) => l.event === 'jwks_refresh' && l.result === 'failure');
  t.match(failure, { level: 'error', reason: /HTTP 503/, action: /503 until a fetch succeeds/ });
  const ready = await request(`${s.proxy.adminUrl}/readyz`);
  t.equal(ready.status, 503, '/readyz 503 before the first key set');
  t.same(ready.json(), { status: 'waiting_for_service_account_keys' });

  const refused = await request(`${s.proxy.url}/v1/models`, { headers: { authorization: `Bearer ${s.mint()}` } });
  t.equal(refused.status, 503, 'a token cannot be judged yet: 503, not 401');
  t.match(refused.json(), { error: { type: 'proxy_error', code: 'service_account_keys_unavailable' } });
  t.equal(refused.headers['retry-after'], '5');
  t.equal((await request(`${s.proxy.url}/v1/models`, { headers: { 'x-api-key': s.keys.alice } })).status, 200, 'a key client is served meanwhile');
  t.equal(s.upstream.requests.length, 1, "only the key client's request went upstream");
  await s.proxy.waitForLog((l) => l.event === 'request' && l.status === 503);
  t.match(
    s.proxy.logs.find((l) => l.event === 'request' && l.status === 503),
    { error: 'service_account_keys_unavailable', client: 'unauthenticated' },
  );

  s.jwks!.status = undefined;
  await waitReady(s.proxy, 20_000);
  await s.proxy.waitForLog((l) => l.event === 'jwks_refresh' && l.result === 'success');
  t.equal(
    (await request(`${s.proxy.url}/v1/models`, { headers: { authorization: `Bearer ${s.mint()}` } })).status,
    200,
    'tokens are accepted once the keys are in',
  );
});
