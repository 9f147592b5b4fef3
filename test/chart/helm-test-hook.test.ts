// `helm test`: a hook Pod from the proxy's own image that calls GET /v1/models with a client key (service mode:
// through the Service; sidecar mode: a proxy it starts with the sidecar's settings, since the sidecar's port is
// loopback-only). What it does when run is in helm-test-calls-models.test.ts. Its labels keep it out of the
// Service's endpoints and out of the NetworkPolicy, whose egress rules would cut it off from the Service.
import t from 'tap';
import { find, findAll, podSpec, proxyContainer, render } from './helm';

const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

t.test('service mode', async (t) => {
  const objs = render({ values: ['chart/ci/service-values.yaml'], set: ['networkPolicy.enabled=true'] });
  const pod = find(objs, 'Pod');
  t.match(pod.metadata.annotations, { 'helm.sh/hook': 'test' });
  t.match(pod.metadata.annotations['helm.sh/hook-delete-policy'], /before-hook-creation/);
  t.equal(pod.spec.restartPolicy, 'Never');
  t.equal(pod.spec.automountServiceAccountToken, false);
  const [check] = pod.spec.containers;
  t.equal(check.image, proxyContainer(podSpec(objs)).image, "the proxy's own image");
  t.same([check.command[0], check.command[1]], ['node', '-e']);
  t.match(check.command[2], /\/v1\/models/, 'the check script');
  t.equal(check.command[3], 'http://openai-proxy:18443', 'through the Service');
  t.equal(check.command[4], '/var/run/secrets/openai-proxy-test/client-key', 'with the client key');
  t.notOk(selects(find(objs, 'Service').spec.selector, pod.metadata.labels), 'not an endpoint of the Service');
  const policy = find(objs, 'NetworkPolicy');
  t.notOk(selects(policy.spec.podSelector.matchLabels, pod.metadata.labels), 'not restricted by the NetworkPolicy');
  t.ok(selects(policy.spec.ingress[0].from.at(-1).podSelector.matchLabels, pod.metadata.labels), 'let in to the proxy port by it');
});

t.test('service mode with listed clients only: the first client key', async (t) => {
  const pod = find(render({ values: ['chart/ci/service-clients-values.yaml'] }), 'Pod');
  t.same(pod.spec.volumes[0].secret, { secretName: 'alice-openai-proxy', items: [{ key: 'proxy-api-key', path: 'client-key' }], defaultMode: 0o440 });
});

t.test('sidecar mode: the check container carries the proxy container environment and mounts', async (t) => {
  const objs = render({ values: ['chart/ci/sidecar-key-values.yaml'] });
  const [check] = find(objs, 'Pod').spec.containers;
  const proxy = proxyContainer(podSpec(objs));
  t.equal(check.command[3], 'local');
  t.same(check.env, proxy.env);
  t.same(check.volumeMounts, proxy.volumeMounts);
  t.equal(check.command[4], `${proxy.env.find((e: { name: string }) => e.name === 'PROXY_X_API_KEY_FILE').value}`, "the sidecar's own client key file");
});

t.test('sidecar mode with workload identity: the same ServiceAccount and projected token as the app Pods', async (t) => {
  const objs = render({ values: ['chart/ci/sidecar-keyless-values.yaml'] });
  const pod = find(objs, 'Pod');
  t.equal(pod.spec.serviceAccountName, podSpec(objs).serviceAccountName, "the app Pods' ServiceAccount, whose token the upstream trusts");
  t.same(
    pod.spec.volumes.find((v: { name: string }) => v.name === 'openai-proxy-identity'),
    podSpec(objs).volumes.find((v: { name: string }) => v.name === 'openai-proxy-identity'),
  );
});

t.test('tests.enabled=false and embedded sidecars render none', async (t) => {
  t.same(findAll(render({ values: ['chart/ci/service-values.yaml'], set: ['tests.enabled=false'] }), 'Pod'), []);
  t.same(findAll(render({ values: ['chart/ci/sidecar-embedded-values.yaml'] }), 'Pod'), []);
});
