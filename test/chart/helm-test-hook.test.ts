// `helm test`: a hook Pod from the proxy's own image that checks /health through the Service (service mode),
// or the sidecar's /readyz on the Service's admin port (sidecar mode: the proxy port is loopback-only).
import t from 'tap';
import { find, findAll, podSpec, proxyContainer, render } from './helm';

t.test('service mode', async (t) => {
  const objs = render({ values: ['chart/ci/service-values.yaml'] });
  const pod = find(objs, 'Pod');
  t.match(pod.metadata.annotations, { 'helm.sh/hook': 'test' });
  t.match(pod.metadata.annotations['helm.sh/hook-delete-policy'], /before-hook-creation/);
  t.equal(pod.spec.restartPolicy, 'Never');
  t.equal(pod.spec.automountServiceAccountToken, false);
  const [check] = pod.spec.containers;
  t.equal(check.image, proxyContainer(podSpec(objs)).image, "the proxy's own image");
  t.equal(check.command[0], 'node');
  t.equal(check.command.at(-1), 'http://openai-proxy:18443/health', 'through the Service');
});

t.test('sidecar mode', async (t) => {
  const check = find(render({ values: ['chart/ci/sidecar-values.yaml'] }), 'Pod').spec.containers[0];
  t.equal(check.command.at(-1), 'http://openai-proxy:9090/readyz');
});

t.test('tests.enabled=false and embedded sidecars render none', async (t) => {
  t.same(findAll(render({ values: ['chart/ci/service-values.yaml'], set: ['tests.enabled=false'] }), 'Pod'), []);
  t.same(findAll(render({ values: ['chart/ci/sidecar-embedded-values.yaml'] }), 'Pod'), []);
});
