// Single-tenant mode. X-API-Key (or Bearer) is checked; missing or wrong -> 401 with the
// first releases' body and nothing upstream; the upstream gets only `Authorization: Bearer <upstream key>`.
import t from 'tap';
import { request } from '../helpers/http';
import { randomKey } from '../helpers/proxy';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const chatBody = JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });

t.test('single-tenant auth', async (t) => {
  const s = await startSingleTenant(t);
  const url = `${s.proxy.url}/v1/chat/completions`;
  const json = { 'content-type': 'application/json' };
  const bodies: string[] = [];

  const listening = s.proxy.logs.find((l) => l.event === 'listening');
  t.equal(listening?.mode, 'single-tenant', 'listening line says single-tenant');

  const wrongKey = randomKey('pk-wrong');
  const refused = [
    { name: 'no key', headers: json },
    { name: 'wrong X-API-Key', headers: { ...json, 'x-api-key': wrongKey } },
    { name: 'wrong Bearer', headers: { ...json, authorization: `Bearer ${wrongKey}` } },
    { name: 'upstream key as client key', headers: { ...json, 'x-api-key': s.upstreamKey } },
    { name: 'empty X-API-Key', headers: { ...json, 'x-api-key': '' } },
    { name: 'client key with a suffix', headers: { ...json, 'x-api-key': `${s.clientKey}x` } },
    { name: 'client key as Basic', headers: { ...json, authorization: `Basic ${s.clientKey}` } },
    // X-API-Key is the client key when present; Authorization is only the fallback.
    { name: 'wrong X-API-Key with the right Bearer', headers: { ...json, 'x-api-key': wrongKey, authorization: `Bearer ${s.clientKey}` } },
  ];
  for (const { name, headers } of refused) {
    const res = await request(url, { method: 'POST', headers, body: chatBody });
    bodies.push(res.text);
    t.equal(res.status, 401, `${name}: 401`);
    t.equal(res.text, '{"error":"unauthorized"}', `${name}: the first releases' body`);
  }
  t.equal(s.up.requests.length, 0, 'nothing went upstream for refused requests');

  const ok = await request(url, {
    method: 'POST',
    headers: { ...json, 'x-api-key': s.clientKey, authorization: 'Bearer client-chosen-token' },
    body: chatBody,
  });
  bodies.push(ok.text);
  t.equal(ok.status, 200, 'right X-API-Key: 200');
  const rec = s.up.lastRequest()!;
  t.ok(rec, 'the request reached the upstream');
  t.ok(rec.headers.authorization === `Bearer ${s.upstreamKey}`, 'Authorization upstream is exactly Bearer <upstream key>');
  t.equal(rec.headers['x-api-key'], undefined, 'X-API-Key is not forwarded');
  const authHeaders = rec.rawHeaders.filter((_, i) => i % 2 === 0 && rec.rawHeaders[i].toLowerCase() === 'authorization');
  t.equal(authHeaders.length, 1, 'exactly one Authorization header upstream');
  t.notOk(
    rec.rawHeaders.some((v) => v.includes(s.clientKey)),
    'the client key appears in no upstream header',
  );
  t.notOk(
    rec.rawHeaders.some((v) => v.includes('client-chosen-token')),
    "the client's own Authorization is dropped",
  );

  const bearer = await request(url, { method: 'POST', headers: { ...json, authorization: `Bearer ${s.clientKey}` }, body: chatBody });
  t.equal(bearer.status, 200, 'client key as Authorization: Bearer (SDK style): 200');
  t.ok(s.up.lastRequest()!.headers.authorization === `Bearer ${s.upstreamKey}`, 'Bearer client key swapped for the upstream key');

  const health = await request(`${s.proxy.url}/health`);
  t.equal(health.status, 200, '/health needs no key');
  t.same(health.json(), { status: 'ok' });

  await noKeyLeak(t, s, bodies);
});
