// One source of truth: the sidecar the injector inserts is rendered by the same templates, from the same
// values, as the chart's own sidecar mode (without a client key), so the two cannot drift apart. The only
// differences are the ones injection needs: the Secret's name comes from the Pod, and the settings of sidecar
// mode's config file (a ConfigMap in the release's namespace) come as env, in place of PROXY_CONFIG, with no
// config volume (sidecar-settings-in-env.test.ts checks that they read as the same configuration).
import t from 'tap';
import { KUBE_VERSIONS, envOf, find, isInjector, podSpec, proxyContainer, render, type K8sObject } from './helm';
import { parse } from 'yaml';

const SETTINGS = [
  'proxy.port=28443',
  'proxy.logLevel=debug',
  'proxy.maxBodyBytes=1048576',
  'upstream.baseUrl=https://llm.example.com/v1',
  'models={gpt-4.1-mini}',
  'endpoints={/v1/responses}',
  'image.repository=registry.example.com/openai-proxy',
];

// What sidecar mode's config file says for SETTINGS, as the variables that say the same.
const settingsEnv = {
  OPENAI_BASE_URL: 'https://llm.example.com/v1',
  OPENAI_AUTH_HEADER: 'authorization',
  PROXY_MODELS: 'gpt-4.1-mini',
  PROXY_ENDPOINTS: '/v1/responses',
};

/** Sidecar mode's proxy container with its config file's settings in env, as the injected one has them. */
function withSettingsInEnv(container: K8sObject, injected: K8sObject): K8sObject {
  const settings = injected.env.filter(
    (e: K8sObject) => e.name in settingsEnv || /^(OPENAI_IDENTITY_|OPENAI_SERVICE_ACCOUNT_ID|OPENAI_AUTH_PROVIDER|AZURE_)/.test(e.name),
  );
  const env = container.env.flatMap((e: K8sObject) => (e.name === 'PROXY_CONFIG' ? settings : [e]));
  const volumeMounts = container.volumeMounts.filter((m: K8sObject) => m.name !== 'openai-proxy-config');
  return { ...container, env, volumeMounts };
}

for (const kube of KUBE_VERSIONS) {
  t.test(`on ${kube}, with settings changed from their defaults`, async (t) => {
    const sidecarMode = render({ values: ['chart/ci/sidecar-values.yaml'], set: SETTINGS, kube });
    const withInjector = render({ values: ['chart/ci/injector-values.yaml'], set: SETTINGS, kube });
    const template = parse(find(withInjector.filter(isInjector), 'ConfigMap').data['sidecar.yaml']);
    const spec = podSpec(sidecarMode);

    t.same(template.secret.container, withSettingsInEnv(proxyContainer(spec), template.secret.container), 'the proxy container, field for field');
    const { PROXY_CONFIG, ...sidecarEnv } = envOf(proxyContainer(spec));
    t.ok(PROXY_CONFIG, 'sidecar mode reads a config file');
    t.same(envOf(template.secret.container), { ...sidecarEnv, ...settingsEnv }, "sidecar mode's env, with the config file's settings in place of PROXY_CONFIG");
    const volumes = template.secret.volumes as K8sObject[];
    t.same(
      volumes.map((v) => v.name),
      spec.volumes.map((v: K8sObject) => v.name).filter((name: string) => name !== 'openai-proxy-config'),
      'the same volumes but the config file',
    );
    const auth = volumes.find((v) => v.name === template.secret.secretVolume)!;
    const own = spec.volumes.find((v: K8sObject) => v.name === auth.name);
    t.same({ ...auth, secret: { ...auth.secret, secretName: own.secret.secretName } }, own, 'the key Secret volume, its name given by each Pod');
    t.equal(template.secret.annotations, undefined, 'no Pod annotation');

    const appEnv = spec.containers.find((c: K8sObject) => c.name === 'web').env.filter((e: K8sObject) => e.name.startsWith('OPENAI_'));
    t.same(template.appEnv, appEnv, "the app containers' env");
    t.equal(template.appEnv[0].value, 'http://127.0.0.1:28443/v1', 'values flow through');
  });
}

t.test("keyless: the sidecar that exchanges the Pod's token, as sidecar mode renders it", async (t) => {
  const sidecarMode = podSpec(render({ values: ['chart/ci/sidecar-keyless-values.yaml'] }));
  const template = parse(find(render({ values: ['chart/ci/injector-keyless-values.yaml'] }).filter(isInjector), 'ConfigMap').data['sidecar.yaml']);
  t.same(
    template.workloadIdentity.container,
    withSettingsInEnv(proxyContainer(sidecarMode), template.workloadIdentity.container),
    'the proxy container, field for field',
  );
  t.match(envOf(template.workloadIdentity.container), {
    OPENAI_IDENTITY_PROVIDER_ID: 'wip_0123456789abcdef',
    OPENAI_SERVICE_ACCOUNT_ID: 'svcacct_0123456789abcdef',
    OPENAI_IDENTITY_TOKEN_FILE: '/var/run/secrets/openai-proxy/identity/token',
  });
  const identity = (volumes: K8sObject[]) => volumes.find((v) => v.name === 'openai-proxy-identity');
  t.same(identity(template.workloadIdentity.volumes), identity(sidecarMode.volumes), 'the projected token volume');
  t.equal(template.workloadIdentity.secretVolume, undefined, 'no Secret to name');
});

t.test("extra volumes the proxy mounts go along; the Pod's others do not", async (t) => {
  const set = [
    'proxy.extraVolumeMounts[0].name=corp-ca',
    'proxy.extraVolumeMounts[0].mountPath=/etc/corp-ca',
    'extraVolumes[0].name=corp-ca',
    'extraVolumes[0].configMap.name=corp-ca',
    'extraVolumes[1].name=scratch',
    'extraVolumes[1].emptyDir.medium=Memory',
  ];
  const template = parse(find(render({ values: ['chart/ci/injector-values.yaml'], set }).filter(isInjector), 'ConfigMap').data['sidecar.yaml']);
  t.same(
    template.secret.volumes.map((v: K8sObject) => v.name),
    ['openai-proxy-auth', 'corp-ca'],
  );
  t.ok(template.secret.container.volumeMounts.some((m: K8sObject) => m.name === 'corp-ca'));
});
