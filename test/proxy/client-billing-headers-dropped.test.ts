// Security review, low: clients chose who is billed. A client's own OpenAI-Organization and OpenAI-Project went
// upstream, so any holder of a proxy key could move usage to another project of the shared key. They are dropped
// unless upstream.passClientHeaders names them; a client's configured headers always apply.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey, runProxyExpectingFailure, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';

const OWN = { 'openai-organization': 'org-elsewhere', 'openai-project': 'proj_elsewhere' };

async function proxyWith(t: Test, upstreamSection: string) {
  const dir = tempDir(t);
  const key = randomKey('pk-alice');
  const config = join(dir, 'proxy.yaml');
  writeFileSync(
    config,
    `upstream:\n${upstreamSection}clients:\n  - { name: alice, key: { value: ${key} } }\n  - { name: bob, key: { value: ${key}-bob }, headers: { OpenAI-Project: proj_bob } }\n`,
  );
  const up = await startFakeUpstream({ t });
  const proxy = await startProxy(t, { upstream: up, env: { PROXY_CONFIG: config, OPENAI_API_KEY: randomKey('sk-up') }, secrets: [key, `${key}-bob`] });
  return { up, proxy, key };
}

t.test('dropped by default; the configured header still applies', async (t) => {
  const { up, proxy, key } = await proxyWith(t, '  authHeader: authorization\n');
  await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': key, ...OWN } });
  t.equal(up.lastRequest()!.headers['openai-organization'], undefined, 'OpenAI-Organization not forwarded');
  t.equal(up.lastRequest()!.headers['openai-project'], undefined, 'OpenAI-Project not forwarded');
  await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': `${key}-bob`, ...OWN } });
  t.equal(up.lastRequest()!.headers['openai-project'], 'proj_bob', "bob's configured project goes up, not his own header");
});

t.test('passClientHeaders lets the named ones pass', async (t) => {
  const { up, proxy, key } = await proxyWith(t, '  passClientHeaders: [OpenAI-Project]\n');
  await request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': key, ...OWN } });
  t.equal(up.lastRequest()!.headers['openai-project'], 'proj_elsewhere', 'named: passes');
  t.equal(up.lastRequest()!.headers['openai-organization'], undefined, 'not named: dropped');
});

t.test('passClientHeaders names only billing headers', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'proxy.yaml');
  writeFileSync(config, 'upstream:\n  passClientHeaders: [Authorization]\n');
  const failed = await runProxyExpectingFailure({ env: { PROXY_CONFIG: config, OPENAI_API_KEY: 'sk-up-xyz', PROXY_X_API_KEY: randomKey('pk') } });
  t.equal(failed.code, 1);
  t.match(failed.stderr, /upstream\.passClientHeaders: must be a list of OpenAI-Organization, OpenAI-Project/);
});
