// Errors from the upstream (400, 401, 403, 404, 429 with retry-after, 500, 503) are
// returned as-is: status, headers and body bytes; the SDK sees OpenAI's error, not the proxy's.
import t from 'tap';
import OpenAI from 'openai';
import { request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const CASES = [
  { status: 400, type: 'invalid_request_error', code: 'invalid_value', headers: {} },
  { status: 401, type: 'invalid_request_error', code: 'invalid_api_key', headers: {} },
  { status: 403, type: 'invalid_request_error', code: 'unsupported_country_region_territory', headers: {} },
  { status: 404, type: 'invalid_request_error', code: 'model_not_found', headers: {} },
  { status: 429, type: 'requests', code: 'rate_limit_exceeded', headers: { 'retry-after': '20' } },
  { status: 500, type: 'server_error', code: null, headers: {} },
  { status: 503, type: 'server_error', code: 'overloaded', headers: { 'retry-after': '1' } },
];

t.test('upstream errors pass through unchanged', async (t) => {
  const s = await startSingleTenant(t);
  const bodies: string[] = [];
  for (const c of CASES) {
    // Odd formatting on purpose: the bytes must be the upstream's, not a re-serialisation.
    const body = `{\n  "error": {\n    "message": "upstream says ${c.status}",\n    "type": "${c.type}",\n    "param": null,\n    "code": ${JSON.stringify(c.code)}\n  }\n}\n`;
    s.up.handle = (_req, res, rec) => {
      res.writeHead(c.status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': rec.requestId, ...c.headers });
      res.end(body);
    };
    const res = await request(`${s.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...s.auth, 'content-type': 'application/json' },
      body: '{"model":"nope"}',
    });
    bodies.push(res.text);
    t.equal(res.status, c.status, `${c.status}: status`);
    t.equal(res.text, body, `${c.status}: body byte-for-byte`);
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8', `${c.status}: content-type`);
    t.equal(res.headers['x-request-id'], s.up.lastRequest()!.requestId, `${c.status}: x-request-id`);
    for (const [name, value] of Object.entries(c.headers)) t.equal(res.headers[name], value, `${c.status}: ${name}`);
  }

  // A non-JSON error page (a gateway in front of the upstream) is relayed too.
  s.up.handle = (_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html><body>Bad Gateway</body></html>');
  };
  const html = await request(`${s.proxy.url}/v1/models`, { headers: s.auth });
  t.equal(html.status, 502);
  t.equal(html.text, '<html><body>Bad Gateway</body></html>', 'an upstream HTML 502 is not replaced by the proxy');
  await noKeyLeak(t, s, bodies);
});

t.test('the SDK sees the upstream error', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = (_req, res, rec) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '20', 'x-request-id': rec.requestId });
    res.end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } }));
  };
  const err = await s
    .sdk()
    .chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.ok(err instanceof OpenAI.RateLimitError, 'RateLimitError');
  const e = err as InstanceType<typeof OpenAI.RateLimitError>;
  t.equal(e.status, 429);
  t.equal(e.code, 'rate_limit_exceeded');
  t.equal(e.headers?.get('retry-after'), '20');
  t.equal(e.requestID, s.up.lastRequest()!.requestId);
  t.equal(s.up.requests.length, 1, 'the proxy did not retry');
  await noKeyLeak(t, s, [String(e.message)]);
});
