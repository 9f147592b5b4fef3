// The `listening` line says where the upstream, its key and each client came from, and which config file
// settings the environment replaced: `make run` feeds .env in as environment, and .env's OPENAI_BASE_URL used
// to replace upstream.baseUrl without a word. In no-auth mode the one caller is named as it is logged and
// counted: "default" (the line used to say `clients: []`).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

t.test('the environment replaces the file, and the listening line says so', async (t) => {
  const up = await startFakeUpstream({ t });
  const config = join(tempDir(t), 'config.yaml');
  writeFileSync(
    config,
    `upstream:\n  baseUrl: https://llm.internal.example/v1\nclients:\n  - name: alice\n    key: { value: "${randomKey('wrapper-key-alice')}" }\nmodels: [gpt-4.1]\n`,
  );
  const proxy = await startProxy(t, {
    upstream: up, // as OPENAI_BASE_URL, the way .env hands it to `make run`
    env: { PROXY_CONFIG: config, OPENAI_API_KEY: randomKey('sk-test-upstream'), PROXY_X_API_KEY: randomKey('pk-test'), PROXY_MODELS: 'o3' },
  });
  const listening = proxy.logs.find((l) => l.event === 'listening')!;
  t.match(listening, {
    config,
    upstream: up.url,
    upstreamFrom: 'OPENAI_BASE_URL',
    upstreamKeyFrom: 'OPENAI_API_KEY',
    clients: ['alice', 'default'],
    clientsFrom: { alice: 'clients[0]', default: 'PROXY_X_API_KEY' },
  });
  t.same(
    listening.overridden,
    { 'upstream.baseUrl': 'OPENAI_BASE_URL', models: 'PROXY_MODELS' },
    'each replaced file setting, by the variable that replaced it',
  );
});

t.test('only the file: nothing overridden', async (t) => {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const keyFile = join(dir, 'openai-api-key');
  writeFileSync(keyFile, randomKey('sk-test-upstream'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `upstream:\n  baseUrl: ${up.url}\n  apiKey: { file: ${keyFile} }\nclients:\n  - name: alice\n    key: { value: "${randomKey('wrapper-key-alice')}" }\n`,
  );
  const proxy = await startProxy(t, { env: { PROXY_CONFIG: config } });
  const listening = proxy.logs.find((l) => l.event === 'listening')!;
  t.match(listening, { upstream: up.url, upstreamFrom: 'upstream.baseUrl', upstreamKeyFrom: 'upstream.apiKey', clientsFrom: { alice: 'clients[0]' } });
  t.equal(listening.overridden, undefined);
});

t.test('PROXY_AUTH=none: the caller has one name, in the listening line, the log and the metrics', async (t) => {
  const up = await startFakeUpstream({ t });
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_AUTH: 'none', OPENAI_API_KEY: randomKey('sk-test-upstream') } });
  const listening = proxy.logs.find((l) => l.event === 'listening')!;
  t.same(listening.clients, ['default']);
  t.same(listening.clientsFrom, { default: 'PROXY_AUTH=none' });
  t.equal((await request(`${proxy.url}/v1/models`)).status, 200);
  const line = await proxy.waitForLog((l) => l.event === 'request');
  t.equal(line.client, 'default', 'the request is logged under the same name');
  t.match((await request(`${proxy.adminUrl}/metrics`)).text, /^openai_proxy_requests_total\{client="default",[^}]*\} 1$/m, 'and counted under it');
});
