// The injected sidecar takes its settings from its container's env, which cannot change once the Pod exists,
// never from a Pod annotation (anyone who may edit the Pod's annotations could change a file the downward API
// mounts from one). So the patched Pod has no downward API volume, no config file and no openai-proxy.io/config
// annotation, and the INJECT_CONFIG carries no annotations. Every setting sidecar mode's config file holds has
// its variable: read by the proxy's own config loader, the injected env and sidecar mode's file give the same
// configuration. And the patched Pod's sidecar, run as a real process with exactly its env, proxies with them:
// the chart's upstream, auth header and allowlist, and its model list.
import t from 'tap';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { envOf, findAll, isInjector, podSpec, proxyContainer, render, type K8sObject } from '../chart/helm';
import { layOutPod } from '../chart/pod-layout';
import { renderInjector } from './rendered';

const SETTINGS = ['upstream.authHeader=api-key', 'models={team-model-a,team-model-b}', 'endpoints={/v1/chat/completions,/v1/models}'];
const KEYLESS_OPENAI = ['upstream.workloadIdentity.tokenUrl=https://sts.example.com/oauth/token'];
const KEYLESS_AZURE = [
  'upstream.workloadIdentity.enabled=true',
  'upstream.workloadIdentity.provider=azure',
  'upstream.workloadIdentity.tenantId=72f988bf-86f1-41af-91ab-2d7cd011db47',
  'upstream.workloadIdentity.clientId=00000000-1111-2222-3333-444444444444',
  'upstream.workloadIdentity.authorityHost=https://login.microsoftonline.us/',
];

/** The proxy's Config from a container's env (and, with PROXY_CONFIG, the rendered file), minus where each part came from. */
function configOf(container: K8sObject, configFile?: string): unknown {
  const { config, problems } = loadConfig(envOf(container) as Record<string, string>, () => configFile ?? '');
  if (!config) throw new Error(`the container's settings do not load: ${JSON.stringify(problems)}`);
  const apiKey = config.upstream.apiKey as { identity?: Record<string, unknown> };
  const identity = apiKey.identity && { ...apiKey.identity, tokenFileSetting: undefined };
  return { ...config, origins: undefined, upstream: { ...config.upstream, apiKeySetting: undefined, apiKey: { ...apiKey, identity } } };
}

const variants: Array<[string, string, string[], 'secret' | 'workloadIdentity']> = [
  ['a Secret named by the Pod', 'chart/ci/sidecar-values.yaml', [], 'secret'],
  ['keyless, openai', 'chart/ci/sidecar-keyless-values.yaml', KEYLESS_OPENAI, 'workloadIdentity'],
  ['keyless, azure', 'chart/ci/sidecar-keyless-values.yaml', KEYLESS_AZURE, 'workloadIdentity'],
];

for (const [name, sidecarValues, set, variant] of variants) {
  t.test(`${name}: env only, and the same settings as sidecar mode's config file`, async (t) => {
    const base = variant === 'secret' ? 'chart/ci/injector-values.yaml' : 'chart/ci/injector-keyless-values.yaml';
    const injector = render({ values: [base], set: [...SETTINGS, ...set] });
    const template = parse(findAll(injector.filter(isInjector), 'ConfigMap')[0]!.data['sidecar.yaml']);
    const sidecar = template[variant];
    t.equal(sidecar.annotations, undefined, 'INJECT_CONFIG carries no annotations');
    t.notOk(
      sidecar.volumes.some((v: K8sObject) => v.downwardAPI || v.configMap),
      'no downward API volume, no ConfigMap',
    );
    const env = envOf(sidecar.container);
    t.equal(env.PROXY_CONFIG, undefined, 'no config file');
    t.match(env, { OPENAI_AUTH_HEADER: 'api-key', PROXY_MODELS: 'team-model-a,team-model-b', PROXY_ENDPOINTS: '/v1/chat/completions,/v1/models' });

    const sidecarMode = render({ values: [sidecarValues], set: [...SETTINGS, ...set] });
    const file = findAll(sidecarMode, 'ConfigMap').find((c) => c.data?.['config.yaml'])!.data['config.yaml'];
    t.same(configOf(sidecar.container), configOf(proxyContainer(podSpec(sidecarMode)), file), 'the proxy reads the same configuration');
  });
}

t.test("the patched Pod's sidecar runs with its env: upstream, auth header, allowlist, models", async (t) => {
  const upstream = await startFakeUpstream({ t });
  const dir = tempDir(t);
  const { config, objs } = renderInjector(dir, { set: [`upstream.baseUrl=${upstream.url}/v1`, ...SETTINGS] });
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  const patched = patchedPod(pod, (await review(injector.url, admissionReview(pod))).json!.response);

  t.equal(patched.metadata.annotations['openai-proxy.io/config'], undefined, 'no settings in an annotation');
  const added = patched.spec.volumes.filter((v: K8sObject) => !pod.spec.volumes.some((p: K8sObject) => p.name === v.name));
  t.same(
    added.map((v: K8sObject) => Object.keys(v).filter((k) => k !== 'name')),
    [['secret']],
    'one volume added: the Secret; no downward API volume',
  );

  const upstreamKey = randomKey('sk-test-upstream');
  const { env } = layOutPod(patched, objs, join(dir, 'pod'), { 'team-a-openai': { 'openai-api-key': upstreamKey } });
  const proxy = await startProxy(t, { env: { ...env, PORT: '0', ADMIN_PORT: '0' } });
  const listening = proxy.logs.find((l) => l.event === 'listening')!;
  t.match(listening, { upstreamFrom: 'OPENAI_BASE_URL', config: null, upstreamKeyFrom: 'OPENAI_API_KEY_FILE' }, 'everything from the env, no config file');

  const chat = (model: string) =>
    request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
  t.equal((await chat('team-model-a')).status, 200);
  const seen = upstream.lastRequest()!;
  t.equal(seen.url, '/v1/chat/completions', "the chart's upstream.baseUrl");
  t.ok(seen.headers['api-key'] === upstreamKey && seen.headers.authorization === undefined, "the key in the chart's auth header, api-key");

  const embeddings = await request(`${proxy.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.equal(embeddings.status, 404, "outside the chart's endpoints: not allowed");
  t.match(embeddings.text, /endpoint_not_allowed/);

  // 50 other names fill the labels the proxy learns; a listed model still gets its own, an unlisted one "other".
  for (let i = 0; i < 50; i++) await chat(`seen-model-${i}`);
  await chat('team-model-b');
  await chat('unlisted-model');
  const metrics = (await request(`${proxy.adminUrl}/metrics`)).text;
  t.match(metrics, /openai_proxy_requests_total\{[^}]*model="team-model-b"[^}]*\} 1/, 'PROXY_MODELS: a listed model keeps its label');
  t.match(metrics, /openai_proxy_requests_total\{[^}]*model="other"[^}]*\} 1/, 'an unlisted one past the first 50 is "other"');
  t.equal(await proxy.stop(), 0);
});
