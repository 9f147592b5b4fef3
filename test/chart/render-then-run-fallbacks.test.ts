// The rendered PTU -> pay-as-you-go Pod (chart/ci/service-fallbacks-values.yaml), run for real: the Secrets the
// user creates are laid out where the chart mounts them, the built proxy starts from the chart's config file and
// env, and when the PTU answers 503 each request goes on to the pay-as-you-go fake with that upstream's key in
// its api-key header: the shared fallback key for the default client, team-a's own fallback key for team-a.
// No key of one upstream ever reaches the other. Only the two upstream URLs differ from the values file.
import t from 'tap';
import { join } from 'node:path';
import { handlers, startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { assertNoKeyLeak, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { render } from './helm';
import { layOutProxy } from './pod-layout';
import { valuesFile } from './values-file';

t.test('PTU first, pay-as-you-go when it is full', async (t) => {
  const ptu = await startFakeUpstream({ t });
  const paygo = await startFakeUpstream({ t });
  const k = {
    ptu: randomKey('sk-test-ptu'),
    paygo: randomKey('sk-test-paygo'),
    client: randomKey('pk-test-default'),
    teamA: randomKey('pk-test-team-a'),
    teamAPtu: randomKey('sk-test-team-a-ptu'),
    teamAPaygo: randomKey('sk-test-team-a-paygo'),
  };
  const urls = valuesFile(t, {
    upstream: {
      baseUrl: `${ptu.url}/v1`,
      fallbacks: [{ name: 'paygo', baseUrl: `${paygo.url}/v1`, existingSecret: 'openai-proxy-paygo' }],
    },
  });
  const objs = render({ values: ['chart/ci/service-fallbacks-values.yaml', urls] });
  const { env } = layOutProxy(objs, join(tempDir(t), 'pod'), {
    'openai-proxy-keys': { 'openai-api-key': `${k.ptu}\n`, 'proxy-api-key': `${k.client}\n` },
    'openai-proxy-paygo': { 'openai-api-key': `${k.paygo}\n` },
    'team-a-openai-proxy': { 'proxy-api-key': k.teamA, 'ptu-key': k.teamAPtu, 'paygo-key': k.teamAPaygo },
  });
  // The fallback keys are not where the key guard looks (upstream.apiKey, clients[].upstreamKey): named here.
  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0' }, secrets: [k.paygo, k.teamAPaygo] });
  ptu.handle = handlers.openaiError(503, 'overloaded');

  const body = JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
  const call = (key: string) =>
    request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
  const texts: string[] = [];
  for (const [who, key, ptuKey, paygoKey] of [
    ['the default client', k.client, k.ptu, k.paygo],
    ['team-a', k.teamA, k.teamAPtu, k.teamAPaygo],
  ] as const) {
    const res = await call(key);
    texts.push(res.text);
    t.equal(res.status, 200, `${who}: answered by the fallback`);
    t.ok(ptu.lastRequest()!.headers['api-key'] === ptuKey, `${who}: the PTU was tried first, with its key in api-key`);
    t.ok(paygo.lastRequest()!.headers['api-key'] === paygoKey, `${who}: then pay-as-you-go, with its own key`);
    t.equal(paygo.lastRequest()!.body.toString(), body, `${who}: the body replayed as sent`);
  }
  await proxy.waitForLog(() => proxy.logs.filter((l) => l.event === 'request').length === 2);
  t.match(
    proxy.logs.filter((l) => l.event === 'request'),
    [
      { client: 'default', upstream: 'paygo', attempts: 2 },
      { client: 'team-a', upstream: 'paygo', attempts: 2 },
    ],
  );
  const metrics = (await request(`${proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /^openai_proxy_upstream_attempts_total\{upstream="ptu",result="fallback"\} 2$/m, "the chart's upstream.name labels the primary");

  const guard = (upstreamKeys: string[], others: string[]) => ({ upstream: upstreamKeys, client: [k.client, k.teamA, ...others], upstreamHeader: 'api-key' });
  t.same(ptu.misplacedKeys(guard([k.ptu, k.teamAPtu], [k.paygo, k.teamAPaygo])), [], 'no pay-as-you-go key reached the PTU');
  t.same(paygo.misplacedKeys(guard([k.paygo, k.teamAPaygo], [k.ptu, k.teamAPtu])), [], 'no PTU key reached pay-as-you-go');
  await assertNoKeyLeak(t, proxy, Object.values(k), texts);
  t.equal(await proxy.stop(), 0, 'SIGTERM: clean exit');
});
