// Why the chart mounts Secrets without subPath: the kubelet updates a Secret volume by swapping its `..data`
// symlink, and the running proxy (same Pod, same process, no restart) picks the new keys up within 10 s.
// Here the swap is done the kubelet's way on the rendered service-mode layout.
import t from 'tap';
import { join } from 'node:path';
import { sleep, startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir, writeSecretDir } from '../helpers/tmp';
import { render } from './helm';
import { layOutProxy } from './pod-layout';

t.test('a rotated Secret reaches the running proxy', async (t) => {
  const upstream = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const k = { upstream1: randomKey('sk-test-1'), upstream2: randomKey('sk-test-2'), client1: randomKey('client-1'), client2: randomKey('client-2') };
  const objs = render({ values: ['chart/ci/service-values.yaml'], set: [`upstream.baseUrl=${upstream.url}`] });
  const { env, dirs } = layOutProxy(objs, join(dir, 'pod'), {
    'openai-proxy-keys': { 'openai-api-key': k.upstream1, 'proxy-api-key': k.client1 },
  });
  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0' } });
  const call = (key: string) => request(`${proxy.url}/v1/models`, { headers: { 'x-api-key': key } });

  t.equal((await call(k.client1)).status, 200, 'first key works');
  t.ok(upstream.lastRequest()!.headers.authorization === `Bearer ${k.upstream1}`, 'first upstream key used');

  // Both client keys during the change-over, one per line; a new upstream key.
  writeSecretDir(dirs['openai-proxy-keys']!, { 'openai-api-key': k.upstream2, 'proxy-api-key': `${k.client1}\n${k.client2}` }, 'v2');
  const deadline = Date.now() + 10_000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await call(k.client2)).status;
    if (status === 200) break;
    await sleep(250);
  }
  t.equal(status, 200, 'the new client key works within 10 s, without a restart');
  t.ok(upstream.lastRequest()!.headers.authorization === `Bearer ${k.upstream2}`, 'and the new upstream key is used');
  t.equal((await call(k.client1)).status, 200, 'the old client key still works while both are listed');
  t.equal(proxy.child.exitCode, null, 'same process');

  await assertNoKeyLeak(t, proxy, Object.values(k));
});
