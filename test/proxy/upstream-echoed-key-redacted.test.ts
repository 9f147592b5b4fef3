// Security review, low: an upstream that echoes the key it was sent (a compatible server's 401 body, a debug
// header) handed it to the client. Exact matches of the upstream key (or keyless access token) are replaced by
// [redacted] in the response headers and in non-2xx bodies of at most 64 KiB; 2xx bodies are never held.
import t from 'tap';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordedRequest } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { startKeyless } from '../helpers/keyless';
import { startSingleTenant } from '../helpers/stack';

const echoKey =
  (status: number, pad = 0, chunked = false) =>
  (_req: IncomingMessage, res: ServerResponse, rec: RecordedRequest) => {
    const sent = String(rec.headers.authorization).slice('Bearer '.length);
    const body = Buffer.from(JSON.stringify({ error: { message: `Incorrect API key provided: ${sent}. ${'x'.repeat(pad)}`, again: sent } }));
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'x-debug-key': `key=${sent}` };
    if (!chunked) headers['content-length'] = body.length;
    res.writeHead(status, headers);
    res.end(body);
  };

t.test('a 401 body and a header echoing the upstream key reach the client redacted', async (t) => {
  const s = await startSingleTenant(t);
  for (const chunked of [false, true]) {
    s.up.handle = echoKey(401, 0, chunked);
    const res = await request(`${s.proxy.url}/v1/models`, { headers: s.auth });
    t.equal(res.status, 401);
    t.notOk(res.text.includes(s.upstreamKey), `${chunked ? 'chunked' : 'sized'}: the key is not in the body`);
    t.equal(res.json().error.again, '[redacted]', 'every occurrence replaced');
    t.match(res.json().error.message, /Incorrect API key provided: \[redacted\]\./);
    t.equal(res.headers['x-debug-key'], 'key=[redacted]', 'nor in a header');
    t.equal(Number(res.headers['content-length']), res.body.length, 'the length is that of the redacted body');
  }
  // An upstream 401 passes through whole, just redacted: no key left for the guard to find.
  t.ok(!JSON.stringify(s.up.requests.map((r) => r.url)).includes(s.upstreamKey));
});

t.test('an error body over 64 KiB is passed as it is (not held); the header is still redacted', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = echoKey(400, 70 * 1024);
  const res = await request(`${s.proxy.url}/v1/models`, { headers: s.auth });
  t.equal(res.status, 400);
  t.equal(res.headers['x-debug-key'], 'key=[redacted]');
  t.ok(res.text.includes(s.upstreamKey), 'a large error body is not read: documented limit');
  // This test hands the key to the client on purpose: the key guard would flag the response text only if given it.
});

t.test('a 2xx body is never held or changed', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = (_req, res, rec) => {
    const body = `{"echo":"${String(rec.headers.authorization).slice(7)}"}`;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  };
  const res = await request(`${s.proxy.url}/v1/models`, { headers: s.auth });
  t.equal(res.status, 200);
  t.equal(res.json().echo, s.upstreamKey, 'passed byte for byte');
});

t.test('a keyless access token echoed in a 403 is redacted too', async (t) => {
  const k = await startKeyless(t);
  k.up.handle = echoKey(403);
  const res = await request(`${k.proxy.url}/v1/models`, { headers: k.auth });
  t.equal(res.status, 403);
  t.notOk(res.text.includes(k.tokens.issued[0]!), 'the access token is not in the body');
  t.equal(res.json().error.again, '[redacted]');
});
