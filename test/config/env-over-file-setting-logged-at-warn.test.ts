// With a config file, an environment variable that replaces one of its settings is logged at warn, naming
// both: OPENAI_API_KEY left in the shell (or in .env) used to win over `upstream.apiKey` with only a field of
// the listening line to say so.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

t.test('OPENAI_API_KEY over upstream.apiKey, OPENAI_BASE_URL over upstream.baseUrl: one warning each', async (t) => {
  const up = await startFakeUpstream({ t });
  const config = join(tempDir(t), 'proxy.yaml');
  writeFileSync(
    config,
    `upstream:\n  baseUrl: https://llm.internal.example\n  apiKey: { value: "${randomKey('sk-test-file')}" }\nclients:\n  - name: alice\n    key: { value: "${randomKey('wrapper-key-alice')}" }\n`,
  );
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_CONFIG: config, OPENAI_API_KEY: randomKey('sk-test-env') } });
  await proxy.waitForLog((l) => l.event === 'config_overridden' && l.setting === 'upstream.baseUrl');
  const warnings = proxy.logs.filter((l) => l.event === 'config_overridden');
  t.same(
    warnings.map((w) => [w.level, w.setting, w.by]),
    [
      ['warn', 'upstream.baseUrl', 'OPENAI_BASE_URL'],
      ['warn', 'upstream.apiKey', 'OPENAI_API_KEY'],
    ],
  );
  t.equal(warnings[1]!.message, `the environment variable OPENAI_API_KEY replaces upstream.apiKey of ${config}`);
  t.equal(proxy.logs[0]!.event, 'listening', 'the listening line stays the first');
});

t.test('nothing replaced, nothing to warn about', async (t) => {
  const up = await startFakeUpstream({ t });
  const config = join(tempDir(t), 'proxy.yaml');
  writeFileSync(config, `clients:\n  - name: alice\n    key: { value: "${randomKey('wrapper-key-alice')}" }\n`);
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_CONFIG: config, OPENAI_API_KEY: randomKey('sk-test-env') } });
  // The warnings are written in the same turn as the listening line: a later line means none was coming.
  await proxy.stop();
  t.same(
    proxy.logs.filter((l) => l.level === 'warn'),
    [],
  );
});
