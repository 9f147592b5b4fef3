import t from 'tap';
import { loadConfig } from '../../src/config/config';
import type { Env } from '../../src/config/types';

const base: Env = { OPENAI_API_KEY: 'sk-upstream', PROXY_X_API_KEY: 'client-key' };
const files = (map: Record<string, string>) => (path: string) => {
  if (!(path in map)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return map[path]!;
};
const settings = (env: Env, read?: (p: string) => string) => loadConfig(env, read).problems.map((p) => p.setting);

t.test('single-tenant defaults match the contract', async (t) => {
  const { config, problems } = loadConfig(base);
  t.same(problems, []);
  t.match(config, {
    host: '0.0.0.0',
    port: 18443,
    adminHost: '0.0.0.0',
    adminPort: 9090,
    logLevel: 'info',
    shutdownGraceMs: 30000,
    auth: 'key',
    maxBodyBytes: 104857600,
    upstream: {
      protocol: 'https:',
      hostname: 'api.openai.com',
      port: 443,
      host: 'api.openai.com',
      basePath: '',
      connectTimeoutMs: 10000,
      firstByteTimeoutMs: 600000,
      idleTimeoutMs: 600000,
    },
    clients: [{ name: 'default', key: { kind: 'env', name: 'PROXY_X_API_KEY' } }],
  });
  t.ok(Object.isFrozen(config) && Object.isFrozen(config!.upstream) && Object.isFrozen(config!.clients), 'frozen');
});

t.test('base URL: trailing /v1 and slashes are not doubled, prefixes and ports are kept', async (t) => {
  const up = (url: string) => loadConfig({ ...base, OPENAI_BASE_URL: url }).config!.upstream;
  t.match(up('https://api.openai.com/v1'), { basePath: '', host: 'api.openai.com' });
  t.match(up('https://api.openai.com/v1/'), { basePath: '' });
  t.match(up('http://vllm.ai.svc:8000/v1'), { protocol: 'http:', port: 8000, host: 'vllm.ai.svc:8000', basePath: '' });
  t.match(up('https://gw.example/openai/v1'), { basePath: '/openai', display: 'https://gw.example/openai' });
  t.match(up('http://[::1]:9000'), { hostname: '::1', port: 9000 });
});

t.test('every problem is reported at once, each naming its setting', async (t) => {
  const got = settings({
    OPENAI_API_KEY: 'a',
    OPENAI_API_KEY_FILE: '/x',
    PORT: 'eighty',
    ADMIN_PORT: '70000',
    LOG_LEVEL: 'loud',
    SHUTDOWN_GRACE_MS: '-1',
    MAX_BODY_BYTES: '0',
    PROXY_AUTH: 'maybe',
    OPENAI_BASE_URL: 'ftp://x',
    UPSTREAM_CONNECT_TIMEOUT_MS: '1.5',
    UPSTREAM_FIRST_BYTE_TIMEOUT_MS: 'x',
    UPSTREAM_IDLE_TIMEOUT_MS: '0',
  });
  for (const s of [
    'OPENAI_API_KEY',
    'PORT',
    'ADMIN_PORT',
    'LOG_LEVEL',
    'SHUTDOWN_GRACE_MS',
    'MAX_BODY_BYTES',
    'PROXY_AUTH',
    'OPENAI_BASE_URL',
    'UPSTREAM_CONNECT_TIMEOUT_MS',
    'UPSTREAM_FIRST_BYTE_TIMEOUT_MS',
    'UPSTREAM_IDLE_TIMEOUT_MS',
  ]) {
    t.ok(got.includes(s), `names ${s}`);
  }
});

t.test('keys are required unless the mode does without them', async (t) => {
  t.same(settings({}).sort(), ['OPENAI_API_KEY', 'PROXY_X_API_KEY']);
  t.same(settings({ OPENAI_API_KEY: 'k' }), ['PROXY_X_API_KEY']);
  t.same(settings({ PROXY_X_API_KEY: 'k' }), ['OPENAI_API_KEY']);
  t.same(settings({ PROXY_X_API_KEY: 'k', PROXY_X_API_KEY_FILE: '/f', OPENAI_API_KEY: 'k' }), ['PROXY_X_API_KEY']);
  t.same(settings({ OPENAI_API_KEY: '', PROXY_X_API_KEY: 'k' }), ['OPENAI_API_KEY'], 'an empty variable counts as unset');
  t.match(loadConfig({ OPENAI_API_KEY_FILE: '/run/k', PROXY_X_API_KEY_FILE: '/run/c' }).config, {
    upstream: { apiKey: { kind: 'file', path: '/run/k' }, apiKeySetting: 'OPENAI_API_KEY_FILE' },
    clients: [{ key: { kind: 'file', path: '/run/c' } }],
  });
});

t.test('PROXY_AUTH=none only on loopback and without client keys', async (t) => {
  t.same(loadConfig({ OPENAI_API_KEY: 'k', PROXY_AUTH: 'none', HOST: '127.0.0.1' }).problems, []);
  t.same(loadConfig({ OPENAI_API_KEY: 'k', PROXY_AUTH: 'none', HOST: '::1' }).problems, []);
  t.same(loadConfig({ OPENAI_API_KEY: 'k', PROXY_AUTH: 'none', HOST: 'localhost' }).problems, []);
  t.same(settings({ OPENAI_API_KEY: 'k', PROXY_AUTH: 'none' }), ['PROXY_AUTH'], 'default host 0.0.0.0 refused');
  t.same(settings({ OPENAI_API_KEY: 'k', PROXY_AUTH: 'none', HOST: '10.0.0.1' }), ['PROXY_AUTH']);
  t.same(settings({ ...base, PROXY_AUTH: 'none', HOST: '127.0.0.1' }), ['PROXY_AUTH']);
});

const multiTenant = `
upstream:
  baseUrl: https://api.openai.com/v1
  apiKey: { file: /run/openai/key }
clients:
  - name: alice
    key: { env: ALICE_KEY }
    upstreamKey: { file: /run/alice/key }
    headers: { OpenAI-Project: proj_abc }
  - name: bob
    key: { sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 }
    limits: { requestsPerMinute: 600, tokensPerMinute: 200000, concurrentStreams: 20 }
models: [gpt-4.1-mini]
endpoints: [/v1/responses, /v1/chat/completions]
`;

t.test('the config file: clients, secret references, headers, limits, models, endpoints', async (t) => {
  const { config, problems } = loadConfig({ PROXY_CONFIG: '/etc/p.yaml' }, files({ '/etc/p.yaml': multiTenant }));
  t.same(problems, []);
  t.match(config, {
    upstream: { apiKey: { kind: 'file', path: '/run/openai/key' }, apiKeySetting: 'upstream.apiKey' },
    clients: [
      {
        name: 'alice',
        key: { kind: 'env', name: 'ALICE_KEY' },
        upstreamKey: { kind: 'file', path: '/run/alice/key' },
        headers: { 'openai-project': 'proj_abc' },
      },
      {
        name: 'bob',
        key: { kind: 'sha256', digest: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
        limits: { requestsPerMinute: 600, tokensPerMinute: 200000, concurrentStreams: 20 },
      },
    ],
    models: ['gpt-4.1-mini'],
    endpoints: ['/v1/responses', '/v1/chat/completions'],
  });
});

t.test('environment overrides the file; PROXY_X_API_KEY adds a client named default', async (t) => {
  const env = { PROXY_CONFIG: '/p', OPENAI_BASE_URL: 'http://127.0.0.1:1/v1', OPENAI_API_KEY: 'k', PROXY_X_API_KEY: 'c' };
  const { config } = loadConfig(env, files({ '/p': multiTenant }));
  t.equal(config!.upstream.host, '127.0.0.1:1');
  t.same(config!.upstream.apiKey, { kind: 'env', name: 'OPENAI_API_KEY' });
  t.same(
    config!.clients.map((c) => c.name),
    ['alice', 'bob', 'default'],
  );
});

t.test('config file errors are named by their path in the file', async (t) => {
  const bad = `
upstream: { baseUrl: 'not a url', apiKey: { file: /k, env: X }, extra: 1 }
clients:
  - name: Alice!
    key: { value: '' }
  - name: bob
    key: { sha256: abc }
    upstreamKey: { sha256: ${'a'.repeat(64)} }
    headers: { Authorization: x, 'bad header': y, X-Ok: [1] }
    limits: { requestsPerMinute: 0, burst: 3 }
  - name: bob
    key: { env: B }
  - just-a-string
models: [1]
endpoints: [/v1/../x, 'v1/chat']
colour: blue
`;
  const got = settings({ PROXY_CONFIG: '/p', OPENAI_API_KEY: 'k' }, files({ '/p': bad }));
  for (const s of [
    'upstream.baseUrl',
    'upstream.apiKey',
    'upstream.extra',
    'clients[0].name',
    'clients[0].key.value',
    'clients[1].key.sha256',
    'clients[1].upstreamKey',
    'clients[1].headers.Authorization',
    'clients[1].headers.bad header',
    'clients[1].headers.X-Ok',
    'clients[1].limits.requestsPerMinute',
    'clients[1].limits.burst',
    'clients[2].name',
    'clients[3]',
    'models',
    'endpoints[0]',
    'endpoints[1]',
    'colour',
  ]) {
    t.ok(got.includes(s), `names ${s}`);
  }
});

t.test('an unreadable or malformed config file is a named problem', async (t) => {
  t.same(settings({ ...base, PROXY_CONFIG: '/missing' }, files({})), ['PROXY_CONFIG']);
  t.same(settings({ ...base, PROXY_CONFIG: '/p' }, files({ '/p': 'clients: [' })), ['PROXY_CONFIG']);
  t.same(settings({ ...base, PROXY_CONFIG: '/p' }, files({ '/p': '- a list' })), ['PROXY_CONFIG']);
  t.same(settings({ ...base, PROXY_CONFIG: '/p' }, files({ '/p': '' })), [], 'an empty file is an empty config');
  t.same(settings({ ...base, PROXY_CONFIG: '/p' }, files({ '/p': 'endpoints: []' })), ['endpoints']);
});

t.test('a base URL with credentials is refused without echoing them', async (t) => {
  const { problems } = loadConfig({ ...base, OPENAI_BASE_URL: 'https://user:hunter2@api.example' });
  t.equal(problems.length, 1);
  t.notOk(JSON.stringify(problems).includes('hunter2'), 'the password is not in the message');
});

t.test('PROXY_MODELS replaces models: from the file; blanks are dropped', async (t) => {
  const read = files({ '/p': 'models: [gpt-4.1]\n' });
  t.same(loadConfig({ ...base, PROXY_CONFIG: '/p' }, read).config!.models, ['gpt-4.1']);
  t.same(loadConfig({ ...base, PROXY_CONFIG: '/p', PROXY_MODELS: ' o3 ,gpt-4.1-mini,, ' }, read).config!.models, ['o3', 'gpt-4.1-mini']);
  t.same(loadConfig({ ...base, PROXY_MODELS: 'o3' }).config!.models, ['o3']);
});
