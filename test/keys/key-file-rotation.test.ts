// Keys from files (*_FILE and { file: }) are re-read when they change and take effect
// within 10 s without a restart: in-place rewrites, Kubernetes-style swaps of a symlinked `..data` directory,
// client key files with several keys (overlap during rotation), and unreadable files keeping the last good key.
import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeUpstream, sleep } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy, type RunningProxy } from '../helpers/proxy';
import { tempDir, writeSecretDir } from '../helpers/tmp';

const ROTATION_MS = 10_000;

async function status(proxy: RunningProxy, key: string): Promise<number> {
  return (await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': key } })).status;
}

/** Polls until `key` gets `want`; returns whether it did within ROTATION_MS. */
async function until(proxy: RunningProxy, key: string, want: number): Promise<boolean> {
  const deadline = Date.now() + ROTATION_MS;
  while (Date.now() < deadline) {
    if ((await status(proxy, key)) === want) return true;
    await sleep(250);
  }
  return false;
}

t.test('Kubernetes Secret volume: ..data symlink swap rotates both keys', async (t) => {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const [up1, up2, c1, c2] = [randomKey('sk-test-up1'), randomKey('sk-test-up2'), randomKey('pk-test-c1'), randomKey('pk-test-c2')];
  writeSecretDir(dir, { 'openai-api-key': `${up1}\n`, 'proxy-api-key': `${c1}  \n` }, '2025_01_01_00_00_00.1');
  const proxy = await startProxy(t, {
    upstream: up,
    env: { OPENAI_API_KEY_FILE: join(dir, 'openai-api-key'), PROXY_X_API_KEY_FILE: join(dir, 'proxy-api-key') },
  });

  t.equal(await status(proxy, c1), 200, 'initial key (trailing whitespace trimmed) works');
  t.ok(up.lastRequest()!.headers.authorization === `Bearer ${up1}`, 'initial upstream key used');

  writeSecretDir(dir, { 'openai-api-key': `${up2}\n`, 'proxy-api-key': `${c2}\n` }, '2025_01_02_00_00_00.2');
  t.ok(await until(proxy, c2, 200), 'the new client key works within 10 s');
  t.equal(await status(proxy, c1), 401, 'the old client key is refused');
  t.ok(up.lastRequest()!.headers.authorization === `Bearer ${up2}`, 'the new upstream key is used');
  const reload = await proxy.waitForLog((l) => l.event === 'config_reload' && l.result === 'success');
  t.ok(reload, 'config_reload success logged');
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_config_reloads_total\{result="success"\} [1-9]/m, 'reload counted');
  t.equal((await request(`${proxy.adminUrl}/readyz`)).status, 200, 'still ready');
  await assertNoKeyLeak(t, proxy, [up1, up2, c1, c2]);
});

t.test('in-place rewrite, several keys per file, and an unreadable file', async (t) => {
  const up = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const upstreamKey = randomKey('sk-test-up');
  const [oldKey, newKey] = [randomKey('wrapper-key-old'), randomKey('wrapper-key-new')];
  const keyFile = join(dir, 'alice-keys');
  writeFileSync(keyFile, `${oldKey}\n`);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `upstream:\n  apiKey: { value: "${upstreamKey}" }\nclients:\n  - name: alice\n    key: { file: ${keyFile} }\n`);
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_CONFIG: config } });
  t.equal(await status(proxy, oldKey), 200, 'old key works');

  writeFileSync(keyFile, `${oldKey}\n${newKey}\n`);
  t.ok(await until(proxy, newKey, 200), 'the new key works within 10 s');
  t.equal(await status(proxy, oldKey), 200, 'the old key still works while the file holds both');

  writeFileSync(keyFile, `${newKey}\n`);
  t.ok(await until(proxy, oldKey, 401), 'the old key is refused within 10 s once removed');
  t.equal(await status(proxy, newKey), 200, 'the new key keeps working');

  rmSync(keyFile);
  const failure = await proxy.waitForLog((l) => l.event === 'config_reload' && l.result === 'failure', ROTATION_MS);
  t.ok(failure, 'a failed read is logged');
  t.equal(await status(proxy, newKey), 200, 'the last good key stays in effect');
  t.equal((await request(`${proxy.adminUrl}/readyz`)).status, 200, 'still ready with the last good key');
  const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  t.match(metrics, /^openai_proxy_config_reloads_total\{result="failure"\} [1-9]/m, 'failure counted');
  await assertNoKeyLeak(t, proxy, [upstreamKey, oldKey, newKey]);
});
