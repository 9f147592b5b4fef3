// One source of truth: the sidecar the injector inserts is rendered by the same templates, from the same
// values, as the chart's own sidecar mode (without a client key), so the two cannot drift apart. The only
// differences are the ones injection needs: the Secret's name comes from the Pod, and the config file from a
// Pod annotation (the downward API) rather than a ConfigMap in the release's namespace.
import t from 'tap';
import { KUBE_VERSIONS, find, findAll, isInjector, podSpec, proxyContainer, render, type K8sObject } from './helm';
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

for (const kube of KUBE_VERSIONS) {
  t.test(`on ${kube}, with settings changed from their defaults`, async (t) => {
    const sidecarMode = render({ values: ['chart/ci/sidecar-values.yaml'], set: SETTINGS, kube });
    const withInjector = render({ values: ['chart/ci/injector-values.yaml'], set: SETTINGS, kube });
    const template = parse(find(withInjector.filter(isInjector), 'ConfigMap').data['sidecar.yaml']);
    const spec = podSpec(sidecarMode);

    t.same(template.secret.container, proxyContainer(spec), 'the proxy container, field for field');
    const volumes = template.secret.volumes as K8sObject[];
    t.same(
      volumes.map((v) => v.name),
      spec.volumes.map((v: K8sObject) => v.name),
      'the same volumes',
    );
    const auth = volumes.find((v) => v.name === template.secret.secretVolume)!;
    const own = spec.volumes.find((v: K8sObject) => v.name === auth.name);
    t.same({ ...auth, secret: { ...auth.secret, secretName: own.secret.secretName } }, own, 'the key Secret volume, its name given by each Pod');
    const config = volumes.find((v) => v.downwardAPI)!;
    t.match(config.downwardAPI.items, [{ path: 'config.yaml', fieldRef: { fieldPath: "metadata.annotations['openai-proxy.io/config']" } }]);
    const configMap = findAll(sidecarMode, 'ConfigMap').find((c) => c.data['config.yaml'])!;
    t.equal(
      template.secret.annotations['openai-proxy.io/config'].trim(),
      configMap.data['config.yaml'].trim(),
      "the annotation holds sidecar mode's config file",
    );

    const appEnv = spec.containers.find((c: K8sObject) => c.name === 'web').env.filter((e: K8sObject) => e.name.startsWith('OPENAI_'));
    t.same(template.appEnv, appEnv, "the app containers' env");
    t.equal(template.appEnv[0].value, 'http://127.0.0.1:28443/v1', 'values flow through');
  });
}

t.test("keyless: the sidecar that exchanges the Pod's token, as sidecar mode renders it", async (t) => {
  const sidecarMode = podSpec(render({ values: ['chart/ci/sidecar-keyless-values.yaml'] }));
  const template = parse(find(render({ values: ['chart/ci/injector-keyless-values.yaml'] }).filter(isInjector), 'ConfigMap').data['sidecar.yaml']);
  t.same(template.workloadIdentity.container, proxyContainer(sidecarMode), 'the proxy container, field for field');
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
    ['openai-proxy-auth', 'openai-proxy-config', 'corp-ca'],
  );
  t.ok(template.secret.container.volumeMounts.some((m: K8sObject) => m.name === 'corp-ca'));
});
