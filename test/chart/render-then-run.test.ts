// The rendered service-mode Pod, run for real: its Secret and ConfigMap are laid out where the Pod spec mounts
// them, the built proxy starts with exactly the proxy container's environment (only PORT and ADMIN_PORT set
// to 0, and the mount paths moved under a temp folder), and a request goes through to a fake OpenAI with the
// Secret's upstream key. The upstream URL is the chart's own upstream.baseUrl, so that wiring is tested too.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { render } from './helm';
import { layOutProxy } from './pod-layout';

t.test('service mode with a chart-made Secret', async (t) => {
  const upstream = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const keys = { upstream: randomKey('sk-test-upstream'), old: randomKey('client-old'), current: randomKey('client-new') };
  const valuesFile = join(dir, 'values.yaml');
  writeFileSync(
    valuesFile,
    stringify({
      mode: 'service',
      // Two client keys, one per line: the old one still works while clients move to the new one.
      auth: { create: true, openaiApiKey: keys.upstream, proxyApiKey: `${keys.old}\n${keys.current}\n` },
      upstream: { baseUrl: `${upstream.url}/v1` },
    }),
  );
  const objs = render({ values: [valuesFile] });
  const { env } = layOutProxy(objs, join(dir, 'pod'));
  t.equal(env.OPENAI_BASE_URL, undefined, 'the upstream comes from the ConfigMap, not from the test');

  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0' } });
  t.equal((await request(`${proxy.url}/health`)).status, 200, '/health');
  t.equal((await request(`${proxy.adminUrl}/readyz`)).status, 200, '/readyz: keys loaded');

  const body = JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  const texts: string[] = [];
  for (const [name, key] of [
    ['current', keys.current],
    ['old', keys.old],
  ] as const) {
    const res = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body,
    });
    texts.push(res.text);
    t.equal(res.status, 200, `${name} client key accepted`);
    const seen = upstream.lastRequest()!;
    t.equal(seen.url, '/v1/chat/completions');
    t.ok(seen.headers.authorization === `Bearer ${keys.upstream}`, "upstream got the Secret's openai-api-key as Bearer");
    t.equal(seen.headers['x-api-key'], undefined, 'the client key is not forwarded');
  }

  const before = upstream.requests.length;
  const denied = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-api-key': randomKey('wrong') }, body });
  t.equal(denied.status, 401, 'a key not in the Secret is refused');
  t.equal(upstream.requests.length, before, 'and nothing went upstream');

  await assertNoKeyLeak(t, proxy, Object.values(keys), texts);
  t.equal(await proxy.stop(), 0, 'SIGTERM: clean exit');
});
