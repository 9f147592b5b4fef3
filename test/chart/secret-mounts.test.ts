// Keys reach the proxy as files from Secrets mounted as whole directories: read-only, never with subPath (a
// subPath mount is a copy the kubelet never updates, so a rotated key would not arrive), and only into the
// proxy container; so does the projected ServiceAccount token of a keyless upstream. Every path the proxy is
// told about lies inside one of its mounts. A keyless sidecar without client keys mounts no Secret at all.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CI_VALUES, KUBE_VERSIONS, allContainers, envOf, find, findAll, podSpec, proxyContainer, proxyDeployments, render, type K8sObject } from './helm';

const under = (path: string, mounts: K8sObject[]) => mounts.some((m) => path.startsWith(`${m.mountPath}/`));

/** Every `file:` reference in the proxy's config file (keys, fallback keys, the limits store's URL, user, password, CA). */
function configFileRefs(config: K8sObject): string[] {
  const refs: string[] = [];
  const upstreamRefs = (ref: K8sObject | undefined) => [ref?.file, ref?.workloadIdentity?.tokenFile].filter((p): p is string => !!p);
  refs.push(...upstreamRefs(config.upstream?.apiKey));
  for (const fallback of config.upstream?.fallbacks ?? []) refs.push(...upstreamRefs(fallback.apiKey));
  for (const client of config.clients ?? []) {
    if (client.key?.file) refs.push(client.key.file);
    refs.push(...upstreamRefs(client.upstreamKey));
    for (const ref of Object.values(client.fallbackKeys ?? {})) refs.push(...upstreamRefs(ref as K8sObject));
  }
  const redis = config.limits?.store?.redis;
  for (const ref of [redis?.url, redis?.username, redis?.password]) if (ref?.file) refs.push(ref.file);
  if (redis?.caFile) refs.push(redis.caFile);
  return refs;
}

for (const kube of KUBE_VERSIONS) {
  for (const file of CI_VALUES) {
    t.test(`${file} on ${kube}`, async (t) => {
      const objs = render({ values: [file], kube });
      if (proxyDeployments(objs).length === 0) {
        t.pass('no proxy Pod of its own (embedded sidecar, or the injector alone)');
        return;
      }
      const spec = podSpec(objs);
      const proxy = proxyContainer(spec);
      const chartVolumes = (spec.volumes as K8sObject[]).filter((v) => v.secret || v.configMap || v.projected);
      const values = parse(readFileSync(file, 'utf8'));
      const noSecret = values.upstream?.workloadIdentity?.enabled && values.auth?.clientAuth === 'none';
      if (noSecret)
        t.notOk(
          chartVolumes.some((v) => v.secret),
          'keyless without client keys: no Secret volume at all',
        );
      else
        t.ok(
          chartVolumes.some((v) => v.secret),
          'a Secret volume is mounted',
        );
      if (values.upstream?.workloadIdentity?.enabled)
        t.ok(
          chartVolumes.some((v) => v.projected),
          'keyless: the projected token volume',
        );
      for (const volume of chartVolumes) {
        const mounts = allContainers(spec).flatMap((c) =>
          (c.volumeMounts ?? []).filter((m: K8sObject) => m.name === volume.name).map((m: K8sObject) => ({ c, m })),
        );
        t.ok(mounts.length > 0, `${volume.name} is mounted`);
        for (const { c, m } of mounts) {
          t.equal(c.name, 'openai-proxy', `${volume.name} is mounted into the proxy container only`);
          t.equal(m.subPath, undefined, `${volume.name}: no subPath`);
          t.equal(m.subPathExpr, undefined, `${volume.name}: no subPathExpr`);
          t.equal(m.readOnly, true, `${volume.name}: read-only`);
        }
      }
      const env = envOf(proxy);
      const paths = [env.OPENAI_API_KEY_FILE, env.PROXY_X_API_KEY_FILE, env.PROXY_CONFIG].filter((p): p is string => !!p);
      paths.push(...configFileRefs(parse(findAll(objs, 'ConfigMap').find((c) => c.data['config.yaml'])!.data['config.yaml'])));
      for (const path of paths) t.ok(under(path, proxy.volumeMounts), `${path} is inside a mount of the proxy container`);
      t.notOk(env.OPENAI_API_KEY, 'the key itself is never in the environment');
      t.notOk(env.PROXY_X_API_KEY, 'the client key itself is never in the environment');
    });
  }
}

t.test('clients: each Secret at /var/run/secrets/openai-proxy/clients/<name>, referenced by the config file', async (t) => {
  const objs = render({ values: ['chart/ci/service-clients-values.yaml'] });
  const spec = podSpec(objs);
  const proxy = proxyContainer(spec);
  const mountOf = (secretName: string) => {
    const volume = spec.volumes.find((v: K8sObject) => v.secret?.secretName === secretName);
    return proxy.volumeMounts.find((m: K8sObject) => m.name === volume?.name)?.mountPath;
  };
  t.equal(mountOf('alice-openai-proxy'), '/var/run/secrets/openai-proxy/clients/alice');
  t.equal(mountOf('bob-openai-proxy'), '/var/run/secrets/openai-proxy/clients/bob.batch');
  t.equal(mountOf('openai-proxy-upstream'), '/var/run/secrets/openai-proxy/auth');

  const config = parse(find(objs, 'ConfigMap').data['config.yaml']);
  t.same(config.clients, [
    { name: 'alice', key: { file: '/var/run/secrets/openai-proxy/clients/alice/proxy-api-key' } },
    {
      name: 'bob.batch',
      key: { file: '/var/run/secrets/openai-proxy/clients/bob.batch/key' },
      upstreamKey: { file: '/var/run/secrets/openai-proxy/clients/bob.batch/openai-api-key' },
      headers: { 'OpenAI-Project': 'proj_bob' },
      limits: { requestsPerMinute: 600, concurrentStreams: 20 },
    },
  ]);
  t.same(config.models, ['gpt-4.1-mini', 'text-embedding-3-small']);
  t.same(config.endpoints, ['/v1/responses', '/v1/chat/completions', '/v1/embeddings']);
  const env = envOf(proxy);
  t.equal(env.OPENAI_API_KEY_FILE, '/var/run/secrets/openai-proxy/auth/openai-api-key');
  t.notOk('PROXY_X_API_KEY_FILE' in env, 'defaultClient: false leaves out the single client key');
});

t.test('key names inside the Secret are settable', async (t) => {
  const objs = render({
    values: ['chart/ci/service-values.yaml'],
    set: ['auth.secretKeys.openaiApiKey=upstream', 'auth.secretKeys.proxyApiKey=clients'],
  });
  const env = envOf(proxyContainer(podSpec(objs)));
  t.equal(env.OPENAI_API_KEY_FILE, '/var/run/secrets/openai-proxy/auth/upstream');
  t.equal(env.PROXY_X_API_KEY_FILE, '/var/run/secrets/openai-proxy/auth/clients');
});
