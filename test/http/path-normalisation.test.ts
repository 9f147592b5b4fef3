// Paths are normalised before the allowlist, so `..`, `%2e%2e`, `%2f`, `//`, backslashes
// and absolute-form targets never reach an endpoint outside the list (raw bytes over node:net).
import t from 'tap';
import { handlers } from '../helpers/fake-upstream';
import { rawExchange } from '../helpers/http';
import { noKeyLeak, startSingleTenant } from '../helpers/stack';

const ALLOWED_PREFIXES = ['/v1/responses', '/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/images/', '/v1/audio/', '/v1/models'];
const inAllowlist = (url: string) => {
  const path = url.split('?')[0];
  return ALLOWED_PREFIXES.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p || path.startsWith(`${p}/`)));
};

// Targets that must never reach anything outside the allowlist.
const ESCAPES = [
  '/v1/chat/completions/../../files',
  '/v1/models/../files',
  '/v1/models/%2e%2e/files',
  '/v1/models/%2E%2E/files',
  '/v1/models/.%2e/files',
  '/v1/models/%2e./%2e%2e/v1/files',
  '/v1/models/..%2ffiles',
  '/v1/models/..%2Ffiles',
  '/v1/models%2f..%2f..%2fv1%2ffiles',
  '/v1/images/..%5c..%5cfiles',
  '/v1/models\\..\\files',
  '/v1/audio/../../../../etc/passwd',
  '/v1/embeddings/%252e%252e/files',
  '//v1/files',
  '/v1//files',
  '/v1/./files',
  '/./v1/files',
  '/v1/models/../../v1/files?x=/v1/models',
  '/v1/models%00/../files',
  'http://127.0.0.1/v1/files',
  'https://api.openai.com/v1/files',
  'http://evil.example/v1/files',
  '127.0.0.1:443',
  '*',
];

// Targets that normalise onto an allowed endpoint: forwarded, and under the normalised path only.
const NORMALISED: Array<[string, string]> = [
  ['/v1/./models', '/v1/models'],
  ['/v1//models', '/v1/models'],
  ['//v1/models', '/v1/models'],
  ['/v1/files/../models', '/v1/models'],
  ['/v1/%6dodels', '/v1/models'],
  ['/v1/chat/completions?x=../../files&y=%2e%2e', '/v1/chat/completions?x=../../files&y=%2e%2e'],
];

function raw(target: string, key: string, host = 'localhost'): string {
  return `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nX-API-Key: ${key}\r\nConnection: close\r\n\r\n`;
}

t.test('escapes never reach the upstream outside the allowlist', async (t) => {
  const s = await startSingleTenant(t);
  const bodies: string[] = [];
  for (const target of ESCAPES) {
    const before = s.up.requests.length;
    const res = await rawExchange(s.proxy.port, raw(target, s.clientKey));
    bodies.push(res.body.toString());
    const reached = s.up.requests.slice(before).map((r) => r.url);
    t.ok(reached.every(inAllowlist), `${JSON.stringify(target)}: nothing outside the allowlist reached (${JSON.stringify(reached)})`);
    t.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(target)}: refused with a 4xx (${res.status})`);
  }
  const health = await rawExchange(s.proxy.port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.equal(health.status, 200, 'still serving');
  await noKeyLeak(t, s, bodies);
});

t.test('typical escapes answer 404 endpoint_not_allowed', async (t) => {
  const s = await startSingleTenant(t);
  for (const target of ['/v1/chat/completions/../../files', '/v1/models/%2e%2e/files', '//v1/files']) {
    const res = await rawExchange(s.proxy.port, raw(target, s.clientKey));
    t.equal(res.status, 404, `${target}: 404`);
    t.match(JSON.parse(res.body.toString() || '{}'), { error: { type: 'proxy_error', code: 'endpoint_not_allowed' } });
  }
  t.equal(s.up.requests.length, 0, 'nothing upstream');
  await noKeyLeak(t, s);
});

t.test('harmless variants are forwarded under the normalised path', async (t) => {
  const s = await startSingleTenant(t);
  s.up.handle = handlers.echo();
  for (const [target, expected] of NORMALISED) {
    const before = s.up.requests.length;
    const res = await rawExchange(s.proxy.port, raw(target, s.clientKey));
    t.equal(res.status, 200, `${target}: 200`);
    t.equal(s.up.requests.length, before + 1, `${target}: forwarded once`);
    t.equal(s.up.lastRequest()?.url, expected, `${target}: upstream saw ${expected}`);
  }
  await noKeyLeak(t, s);
});

t.test('the Host header a client sends does not choose the upstream', async (t) => {
  const s = await startSingleTenant(t);
  const res = await rawExchange(s.proxy.port, raw('/v1/models', s.clientKey, 'evil.example'));
  t.equal(res.status, 200);
  t.equal(s.up.lastRequest()?.headers.host, `localhost:${s.up.port}`, "Host is the upstream's");
  await noKeyLeak(t, s);
});
