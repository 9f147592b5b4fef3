// Header abuse: a client that sends what looks like a real OpenAI key (`Authorization: Bearer
// sk-proj-...`) that is not a proxy key gets 401 and nothing goes upstream; next to a valid proxy key, that
// OpenAI-looking key is still never forwarded (the upstream gets the proxy's own upstream key only), and it
// shows up in no log line, metric or error body (startProxy guards it through `secrets`).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { request } from '../helpers/http';
import { fingerprint } from '../helpers/keys';
import { randomKey, startProxy } from '../helpers/proxy';
import { startFakeUpstream } from '../helpers/fake-upstream';

const openaiLooking = () => `sk-proj-${randomBytes(60).toString('base64url')}`;

t.test('an OpenAI-looking key that is not a proxy key', async (t) => {
  const [upstreamKey, clientKey, stray, stray2] = [randomKey('sk-test-upstream'), randomKey('pk-test-client'), openaiLooking(), openaiLooking()];
  const up = await startFakeUpstream({ t });
  const proxy = await startProxy(t, { upstream: up, env: { OPENAI_API_KEY: upstreamKey, PROXY_X_API_KEY: clientKey }, secrets: [stray, stray2] });
  const url = `${proxy.url}/v1/chat/completions`;
  const body = '{"model":"gpt-4.1-mini","messages":[]}';

  for (const [name, headers] of [
    ['as Authorization: Bearer', { authorization: `Bearer ${stray}` }],
    ['as X-API-Key', { 'x-api-key': stray }],
    ['as Authorization without Bearer', { authorization: stray }],
  ] as const) {
    const res = await request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    t.equal(res.status, 401, `${name}: 401`);
    t.equal(res.text, '{"error":"unauthorized"}', `${name}: the seed's body, which names no key`);
  }
  t.equal(up.requests.length, 0, 'nothing went upstream');

  const ok = await request(url, {
    method: 'POST',
    headers: { 'x-api-key': clientKey, authorization: `Bearer ${stray2}`, 'content-type': 'application/json' },
    body,
  });
  t.equal(ok.status, 200, 'with a valid X-API-Key the request is proxied');
  const rec = up.lastRequest()!;
  t.ok(rec.headers.authorization === `Bearer ${upstreamKey}`, "the upstream gets the proxy's upstream key");
  const everything = `${rec.url}\n${rec.rawHeaders.join('\n')}\n${rec.body.toString('latin1')}`;
  t.notOk(everything.includes(stray2), `the client's OpenAI-looking key ${fingerprint(stray2)} is not forwarded anywhere`);
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_auth_failures_total(\{[^}]*\})? 3$/m, 'three auth failures counted');
});
