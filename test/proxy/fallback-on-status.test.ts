// Fallback upstreams: an answer whose status is in fallbackOn (429, 500, 502, 503, 504 by default) moves the
// request on to the next upstream, with the body replayed from memory, before anything reached the client; the
// last upstream's answer goes back as it is; a status not in the list is the answer. The access log names the
// upstream that answered and the attempts; the metrics count both.
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { post, startChain } from '../helpers/fallbacks';
import { request } from '../helpers/http';

t.test('each fallbackOn status moves on; the fallback answers with its own key', async (t) => {
  const c = await startChain(t);
  for (const status of [429, 500, 502, 503, 504]) {
    c.primary.handle = handlers.openaiError(status, 'x');
    const res = await post(c, '/v1/chat/completions', `{"model":"gpt-4.1-mini","messages":[],"n":${status}}`);
    t.equal(res.status, 200, `${status}: the client gets the fallback's answer`);
    const [atPrimary, atPaygo] = [c.primary.lastRequest()!, c.paygo.lastRequest()!];
    t.equal(atPaygo.bodySha256, atPrimary.bodySha256, `${status}: the same body, replayed`);
    t.ok(atPaygo.headers.authorization === `Bearer ${c.paygoKey}`, `${status}: with the fallback's key`);
    const line = await c.proxy.waitForLog(
      (l) =>
        l.event === 'request' && l.status === 200 && c.proxy.logs.filter((x) => x.event === 'request').indexOf(l) === [429, 500, 502, 503, 504].indexOf(status),
    );
    t.match(line, { upstream: 'paygo', attempts: 2 }, `${status}: logged as answered by paygo after 2 attempts`);
  }
  const metrics = (await request(`${c.proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_fallbacks_total\{from="ptu",to="paygo",reason="503"\} 1$/m);
  t.match(metrics, /^openai_proxy_upstream_attempts_total\{upstream="paygo",result="answered"\} 5$/m);
  t.match(metrics, /^openai_proxy_upstream_attempts_total\{upstream="ptu",result="fallback"\} 5$/m);
});

t.test('a status outside fallbackOn is the answer; the last upstream answers as it is', async (t) => {
  const c = await startChain(t);
  c.primary.handle = handlers.openaiError(400, 'invalid_request_error');
  t.equal((await post(c)).status, 400, 'a 400 goes back from the primary');
  t.equal(c.paygo.requests.length, 0, 'the fallback never asked');
  c.primary.handle = handlers.openaiError(503, 'overloaded');
  c.paygo.handle = handlers.openaiError(503, 'overloaded_too');
  const res = await post(c);
  t.equal(res.status, 503, "the last upstream's 503, as it is");
  t.match(res.json(), { error: { code: 'overloaded_too' } });
});

t.test('fallbackOn names its own statuses', async (t) => {
  const c = await startChain(t, { yaml: '  fallbackOn: [529]\n' });
  c.primary.handle = handlers.openaiError(503, 'overloaded');
  t.equal((await post(c)).status, 503, '503 is not in this list');
  c.primary.handle = handlers.openaiError(529, 'site_overloaded');
  t.equal((await post(c)).status, 200, '529 is');
});
