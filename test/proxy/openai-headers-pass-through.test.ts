// OpenAI's response headers come back: x-request-id, openai-processing-ms, x-ratelimit-*,
// retry-after, openai-organization/version, on success and on errors alike.
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const RATELIMIT = [
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
];

t.test('OpenAI response headers come back', async (t) => {
  const s = await startSingleTenant(t);
  const post = (path: string, body: object) =>
    request(`${s.proxy.url}${path}`, { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  for (const [name, stream] of [
    ['json', false],
    ['sse', true],
  ] as const) {
    const res = await post('/v1/chat/completions', { model: 'gpt-4.1-mini', messages: [], stream });
    const rec = s.up.lastRequest()!;
    t.equal(res.headers['x-request-id'], rec.requestId, `${name}: x-request-id`);
    t.equal(res.headers['openai-processing-ms'], '42', `${name}: openai-processing-ms`);
    t.equal(res.headers['openai-version'], '2020-10-01', `${name}: openai-version`);
    t.equal(res.headers['openai-organization'], 'fake-org', `${name}: openai-organization`);
    for (const h of RATELIMIT) t.ok(res.headers[h] !== undefined, `${name}: ${h}`);
  }

  s.up.handle = handlers.openaiError(429, 'rate_limit_exceeded', { 'retry-after': '7', 'retry-after-ms': '6500' });
  const limited = await post('/v1/chat/completions', { model: 'gpt-4.1-mini', messages: [] });
  t.equal(limited.status, 429);
  t.equal(limited.headers['retry-after'], '7', 'retry-after');
  t.equal(limited.headers['retry-after-ms'], '6500', 'retry-after-ms');
  t.equal(limited.headers['x-ratelimit-remaining-requests'], '9999');
  await noKeyLeak(t, s, [limited.text]);
});
