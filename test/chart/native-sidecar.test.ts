// Sidecar mode: on Kubernetes >= 1.29 the proxy is a native sidecar (an init container with restartPolicy:
// Always and a startup probe, so the app starts after it and stops before it); before that a regular container.
import t from 'tap';
import { envOf, podSpec, proxyContainer, render, type K8sObject } from './helm';

const SIDECAR = 'chart/ci/sidecar-values.yaml';

function placement(spec: K8sObject): 'native' | 'regular' {
  const init = (spec.initContainers ?? []).filter((c: K8sObject) => c.name === 'openai-proxy');
  const main = spec.containers.filter((c: K8sObject) => c.name === 'openai-proxy');
  if (init.length === 1 && main.length === 0) return 'native';
  if (init.length === 0 && main.length === 1) return 'regular';
  throw new Error('the proxy must be in exactly one of initContainers and containers');
}

t.test('1.33: native sidecar', async (t) => {
  const spec = podSpec(render({ values: [SIDECAR], kube: '1.33' }));
  t.equal(placement(spec), 'native');
  const proxy = proxyContainer(spec);
  t.equal(proxy.restartPolicy, 'Always');
  t.match(proxy.startupProbe, { httpGet: { path: '/readyz', port: 'admin' } }, 'startup probe waits for keys loaded');
  t.equal(proxy.lifecycle, undefined, 'no preStop pause: a native sidecar is stopped after the app anyway');
  t.equal(spec.initContainers[0].name, 'openai-proxy', 'first init container, so nothing waits before it');
});

t.test('1.29 is the first version with native sidecars on by default', async (t) => {
  t.equal(placement(podSpec(render({ values: [SIDECAR], kube: '1.29' }))), 'native');
});

t.test('1.28: regular container', async (t) => {
  const spec = podSpec(render({ values: [SIDECAR], kube: '1.28' }));
  t.equal(placement(spec), 'regular');
  t.equal(spec.initContainers, undefined, 'no init containers at all');
  const proxy = proxyContainer(spec);
  t.equal(proxy.restartPolicy, undefined);
  t.equal(proxy.startupProbe, undefined);
  t.match(proxy.lifecycle.preStop.exec.command, ['sleep', '5'], 'keeps serving while the app beside it stops');
});

t.test('sidecar.native forces either way', async (t) => {
  t.equal(placement(podSpec(render({ values: [SIDECAR], set: ['sidecar.native=true'], kube: '1.28' }))), 'native');
  t.equal(placement(podSpec(render({ values: [SIDECAR], set: ['sidecar.native=false'], kube: '1.33' }))), 'regular');
});

t.test('service mode never uses init containers', async (t) => {
  for (const kube of ['1.28', '1.33']) {
    const spec = podSpec(render({ values: ['chart/ci/service-values.yaml'], kube }));
    t.equal(spec.initContainers, undefined, kube);
    t.equal(proxyContainer(spec).restartPolicy, undefined, kube);
    t.equal(envOf(proxyContainer(spec)).HOST, '0.0.0.0', kube);
  }
});
