// The admin listener serves /healthz, /readyz and /metrics with the contract's
// metric names; labels are bounded (client name, allowlist prefix, status), never a raw path or a key.
import t from 'tap';
import { request as httpRequest } from 'node:http';
import { handlers, within } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey } from '../helpers/proxy';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const NAMES = [
  'openai_proxy_requests_total',
  'openai_proxy_request_duration_seconds',
  'openai_proxy_upstream_ttfb_seconds',
  'openai_proxy_inflight_requests',
  'openai_proxy_client_aborts_total',
  'openai_proxy_upstream_errors_total',
  'openai_proxy_auth_failures_total',
  'openai_proxy_config_reloads_total',
];

t.test('admin endpoints and metrics', async (t) => {
  const s = await startSingleTenant(t);
  const healthz = await request(`${s.proxy.adminUrl}/healthz`);
  t.equal(healthz.status, 200, '/healthz 200');
  const readyz = await request(`${s.proxy.adminUrl}/readyz`);
  t.equal(readyz.status, 200, '/readyz 200 with keys loaded');
  t.equal((await request(`${s.proxy.url}/metrics`, { headers: s.auth })).status, 404, '/metrics is not on the proxy listener');

  // Traffic: distinct paths under one prefix, a refused path, an auth failure, an upstream error.
  for (const id of ['gpt-4.1', 'gpt-4.1-mini', 'x'.repeat(50)]) await request(`${s.proxy.url}/v1/models/${id}?q=${id}`, { headers: s.auth });
  await request(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: s.auth, body: '{}' });
  await request(`${s.proxy.url}/v1/secret-admin-path-123`, { headers: s.auth });
  await request(`${s.proxy.url}/v1/models`, { headers: { 'x-api-key': randomKey('pk-wrong') } });
  await request(`${s.proxy.url}/v1/models`, { headers: { 'x-api-key': 'looks-like-a-key-but-wrong' } });
  s.up.handle = (req) => void req.socket.destroy();
  await request(`${s.proxy.url}/v1/embeddings`, { method: 'POST', headers: s.auth, body: '{}' });

  const metrics = await request(`${s.proxy.adminUrl}/metrics`);
  t.equal(metrics.status, 200);
  t.match(String(metrics.headers['content-type']), /^text\/plain/);
  const text = metrics.text;
  for (const name of NAMES) t.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} exported`);
  t.match(text, /^# TYPE openai_proxy_request_duration_seconds histogram$/m);
  t.match(text, /^# TYPE openai_proxy_upstream_ttfb_seconds histogram$/m);
  t.match(text, /process_resident_memory_bytes|process_cpu_seconds_total/, "Node's default process metrics");
  t.match(text, /nodejs_eventloop_lag|nodejs_heap_size/, "Node's default runtime metrics");

  t.match(
    text,
    /^openai_proxy_requests_total\{(?=[^}]*client="default")(?=[^}]*endpoint="\/v1\/models")(?=[^}]*method="GET")(?=[^}]*status="200")[^}]*\} 3$/m,
    'three model requests under one /v1/models series',
  );
  t.match(text, /^openai_proxy_requests_total\{(?=[^}]*endpoint="\/v1\/chat\/completions")(?=[^}]*method="POST")(?=[^}]*status="200")[^}]*\} 1$/m);
  t.match(text, /^openai_proxy_request_duration_seconds_bucket\{(?=[^}]*client="default")(?=[^}]*endpoint="\/v1\/models")(?=[^}]*status="200")/m);
  t.match(text, /^openai_proxy_upstream_ttfb_seconds_bucket\{(?=[^}]*client="default")(?=[^}]*endpoint="\/v1\/models")/m);
  t.match(text, /^openai_proxy_auth_failures_total(\{[^}]*\})? 2$/m, 'two auth failures');
  t.match(text, /^openai_proxy_upstream_errors_total\{reason="[a-z_]+"\} 1$/m, 'the reset counted under a reason');
  t.match(text, /^openai_proxy_inflight_requests\{client="default"\} 0$/m, 'nothing in flight');

  t.notMatch(text, /gpt-4\.1|xxxxxxxxxx|secret-admin-path|q=/, 'no raw path or query in any label');
  t.notMatch(text, /looks-like-a-key-but-wrong/, 'no presented key in any label');
  const endpoints = new Set([...text.matchAll(/endpoint="([^"]*)"/g)].map((m) => m[1]));
  const allowed = new Set([
    '/v1/responses',
    '/v1/chat/completions',
    '/v1/completions',
    '/v1/embeddings',
    '/v1/images/',
    '/v1/audio/',
    '/v1/models',
    '/v1/realtime',
    '',
    'none',
    'other',
    'unmatched',
  ]);
  t.same(
    [...endpoints].filter((e) => !allowed.has(e)),
    [],
    `endpoint labels are allowlist prefixes (${[...endpoints].join(', ')})`,
  );
  await noKeyLeak(t, s, [text]);
});

t.test('inflight_requests counts an open stream', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.stallMidStream(1);
  const req = httpRequest(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: s.auth, agent: false });
  req.on('error', () => {});
  const gotFirst = new Promise<void>((resolve) => req.on('response', (res) => res.once('data', () => resolve())));
  req.end('{"stream":true}');
  await gotFirst;
  const during = (await request(`${s.proxy.adminUrl}/metrics`)).text;
  t.match(during, /^openai_proxy_inflight_requests\{client="default"\} 1$/m, 'one in flight');
  req.destroy();
  await within(s.up.lastRequest()!.done, 5000, 'the upstream request to end');
  await s.proxy.waitForLog((l) => l.event === 'request');
  const after = (await request(`${s.proxy.adminUrl}/metrics`)).text;
  t.match(after, /^openai_proxy_inflight_requests\{client="default"\} 0$/m, 'none in flight after the client left');
  await noKeyLeak(t, s);
});
