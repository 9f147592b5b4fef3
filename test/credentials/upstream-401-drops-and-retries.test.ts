// An upstream 401 to a request sent with a credential refreshes it at once (the current one stays in use until the
// new one is in hand); a request whose body can be replayed (none, or a small one with a Content-Length) is sent
// once more with the new credential, so the client never sees the 401. Concurrent refusals share one exchange; a 401 that a just-refreshed credential
// also gets goes back as it is, without another exchange (it is about the request, not the credential).
import t from 'tap';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handlers, sendJson, type RecordedRequest } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { fetchText } from '../helpers/proxy';
import { metricValue, startKeyless, type Keyless } from '../helpers/keyless';

const INVALID = { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };

/** The upstream refuses the tokens in `revoked` as OpenAI refuses a revoked key. */
function refuse(k: Keyless, revoked: Set<string>): void {
  const defaults = handlers.defaults();
  k.up.handle = (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest) => {
    if (revoked.has(String(rec.headers.authorization).slice('Bearer '.length))) return sendJson(res, 401, INVALID);
    return defaults(req, res, rec);
  };
}

t.test('a replayable request is retried once with the new credential', async (t) => {
  const k = await startKeyless(t);
  const revoked = new Set([k.tokens.issued[0]!]);
  refuse(k, revoked);
  const body = JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  const res = await request(`${k.proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...k.auth, 'content-type': 'application/json' }, body });
  t.equal(res.status, 200, 'the client never sees the 401');
  t.equal(k.tokens.exchanges.length, 2, 'one exchange at start, one after the 401');
  t.equal(k.tokens.exchanges[1]!.subjectToken, k.subject);
  const [first, second] = k.up.requests;
  t.ok(first!.headers.authorization === `Bearer ${k.tokens.issued[0]}`, 'first sent with the old credential');
  t.ok(second!.headers.authorization === `Bearer ${k.tokens.issued[1]}`, 'then with the new one');
  t.equal(second!.bodySha256, first!.bodySha256, 'the same body, replayed');
  t.equal(k.up.requests.length, 2);
  const refused = await k.proxy.waitForLog((l) => l.event === 'credential_refused');
  t.match(refused, { level: 'warn', credential: 'upstream', reason: 'the upstream answered 401' });
  await k.proxy.waitForLog((l) => l.event === 'credential_refresh' && l.result === 'success' && l.trigger === 'unauthorized');
  const line = await k.proxy.waitForLog((l) => l.event === 'request' && l.endpoint === '/v1/chat/completions');
  t.equal(line.status, 200, 'logged once, with its final status');

  // The fresh credential is refused too: that 401 is the upstream's answer to the request, passed on as it is.
  revoked.add(k.tokens.issued[1]!);
  const again = await request(`${k.proxy.url}/v1/models`, { headers: k.auth });
  t.equal(again.status, 401);
  t.same(again.json(), INVALID, "the upstream's own 401 body");
  t.equal(k.tokens.exchanges.length, 2, 'no exchange for a 401 right after a refresh');
  const metrics = (await fetchText(`${k.proxy.adminUrl}/metrics`)).text;
  t.equal(metricValue(metrics, 'openai_proxy_credential_refreshes_total', { credential: 'upstream', result: 'success' }), 2);
});

t.test('concurrent refusals of one credential share one exchange', async (t) => {
  const k = await startKeyless(t);
  refuse(k, new Set([k.tokens.issued[0]!]));
  // biome-ignore lint/suspicious/noThenProperty: the fake token endpoint's own option (what to answer after the delay).
  k.tokens.otherwise = { delayMs: 300, then: { token: {} } };
  const results = await Promise.all(Array.from({ length: 12 }, () => request(`${k.proxy.url}/v1/models`, { headers: k.auth })));
  t.same([...new Set(results.map((r) => r.status))], [200], 'all twelve answered 200');
  t.equal(k.tokens.exchanges.length, 2, 'a single exchange after the refusals');
  t.equal(k.tokens.maxConcurrent, 1);
  const retried = k.up.requests.filter((r) => r.headers.authorization === `Bearer ${k.tokens.issued[1]}`);
  t.equal(retried.length, 12, 'each request went once more with the new credential');
});
