// One JSON line per request with client, method, endpoint, path,
// status, durationMs, ttfbMs, bytes each way, upstream x-request-id and aborted; lifecycle events too; no key.
import t from 'tap';
import { request } from '../helpers/http';
import { randomKey } from '../helpers/proxy';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

t.test('request and lifecycle log lines', async (t) => {
  const s = await startSingleTenant(t);
  const listening = s.proxy.logs[0];
  t.match(
    listening,
    { event: 'listening', level: 'info', time: String, port: Number, adminPort: Number, host: '127.0.0.1', mode: 'single-tenant' },
    'first line: listening',
  );
  t.equal(listening.upstream, s.up.url, 'the upstream origin, without a key');
  t.ok(!Number.isNaN(Date.parse(listening.time)), 'time is ISO');
  t.ok(
    s.proxy.logs.every((l) => typeof l.event === 'string' && typeof l.level === 'string' && typeof l.time === 'string'),
    'every line is JSON with time, level, event',
  );

  const body = JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  const ok = await request(`${s.proxy.url}/v1/chat/completions?debug=1`, { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, body });
  const rec = s.up.lastRequest()!;
  const line = await s.proxy.waitForLog((l) => l.event === 'request' && l.status === 200);
  t.match(line, { client: 'default', method: 'POST', endpoint: '/v1/chat/completions', path: '/v1/chat/completions', status: 200, aborted: false });
  t.equal(line.upstreamRequestId, rec.requestId, 'upstream x-request-id');
  t.equal(line.bytesIn, Buffer.byteLength(body), 'bytesIn is the request body size');
  t.equal(line.bytesOut, ok.body.length, 'bytesOut is the response body size');
  t.type(line.durationMs, 'number');
  t.type(line.ttfbMs, 'number');
  t.ok(line.ttfbMs <= line.durationMs, 'ttfb within duration');
  t.notOk('error' in line && line.error, 'no error on success');

  await request(`${s.proxy.url}/v1/models`, { headers: { 'x-api-key': randomKey('pk-wrong') } });
  const denied = await s.proxy.waitForLog((l) => l.event === 'request' && l.status === 401);
  t.equal(denied.client, 'unauthenticated');
  t.equal(denied.endpoint, '/v1/models');

  await request(`${s.proxy.url}/v1/files/../files`, { headers: s.auth });
  const refused = await s.proxy.waitForLog((l) => l.event === 'request' && l.status === 404);
  t.equal(refused.endpoint, 'none', 'endpoint "none" when nothing matched, as the metric label');
  t.equal(refused.error, 'endpoint_not_allowed');
  await noKeyLeak(t, s);
});
