// The upstream keep-alive default suits the upstream: 60 s for api.openai.com (Cloudflare keeps idle
// connections 400 s; a 4 s default meant a fresh TLS handshake after every pause), 4 s for everything else
// (uvicorn and Node close idle connections after 5 s). UPSTREAM_KEEPALIVE_TIMEOUT_MS overrides either.
import t from 'tap';
import { loadConfig } from '../../src/config/config';
import type { Env } from '../../src/config/types';

const keys: Env = { OPENAI_API_KEY: 'sk-upstream', PROXY_X_API_KEY: 'client-key-long-enough' };
const keepAlive = (env: Env) => loadConfig({ ...keys, ...env }).config!.upstream.keepAliveTimeoutMs;

t.test('api.openai.com, the default upstream', async (t) => {
  t.equal(keepAlive({}), 60_000);
  t.equal(keepAlive({ OPENAI_BASE_URL: 'https://api.openai.com/v1' }), 60_000);
});

t.test('any other upstream', async (t) => {
  t.equal(keepAlive({ OPENAI_BASE_URL: 'http://vllm.ai.svc:8000/v1' }), 4_000);
  t.equal(keepAlive({ OPENAI_BASE_URL: 'https://myres.openai.azure.com/openai/v1' }), 4_000);
});

t.test('the setting wins', async (t) => {
  t.equal(keepAlive({ UPSTREAM_KEEPALIVE_TIMEOUT_MS: '2500' }), 2_500);
  t.equal(keepAlive({ OPENAI_BASE_URL: 'http://vllm:8000', UPSTREAM_KEEPALIVE_TIMEOUT_MS: '30000' }), 30_000);
});
