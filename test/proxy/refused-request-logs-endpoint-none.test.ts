// A refused request that matched no endpoint is logged with `endpoint: "none"`, the value its metric label
// has: the log said null, so a line and its series were found by different words.
import t from 'tap';
import { request } from '../helpers/http';
import { fetchText, randomKey } from '../helpers/proxy';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('a 404 and a 401 outside the allowlist: "none" in the log and in the metric', async (t) => {
  const s = await startSingleTenant(t);
  await request(`${s.proxy.url}/v1/files`, { headers: s.auth });
  await request(`${s.proxy.url}/v1/files`, { headers: { 'x-api-key': randomKey('pk-wrong') } });
  const notFound = await s.proxy.waitForLog((l) => l.event === 'request' && l.status === 404);
  const unauthorized = await s.proxy.waitForLog((l) => l.event === 'request' && l.status === 401);
  t.equal(notFound.endpoint, 'none');
  t.equal(unauthorized.endpoint, 'none');
  const metrics = (await fetchText(`${s.proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /openai_proxy_requests_total\{client="default",endpoint="none",method="GET",status="404"/);
  t.equal(s.up.requests.length, 0, 'nothing upstream');
  await noKeyLeak(t, s);
});
