// Sidecar mode binds the proxy to 127.0.0.1, so only its own Pod reaches it: no Service port and no declared
// container port for it. The admin port stays on all interfaces for probes and scraping.
import t from 'tap';
import { KUBE_VERSIONS, envOf, find, podSpec, proxyContainer, render } from './helm';

for (const kube of KUBE_VERSIONS) {
  for (const file of ['chart/ci/sidecar-values.yaml', 'chart/ci/sidecar-key-values.yaml']) {
    t.test(`${file} on ${kube}`, async (t) => {
      const objs = render({ values: [file], kube });
      const proxy = proxyContainer(podSpec(objs));
      const env = envOf(proxy);
      t.equal(env.HOST, '127.0.0.1', 'proxy listener on loopback');
      t.equal(env.PORT, '18443');
      t.equal(env.ADMIN_HOST, '0.0.0.0', 'admin listener on all interfaces');
      t.notOk(
        proxy.ports.some((p: { containerPort: number }) => p.containerPort === 18443),
        'no container port 18443',
      );

      const service = find(objs, 'Service');
      for (const port of service.spec.ports) {
        t.not(port.port, 18443, `Service port ${port.name} is not the proxy's`);
        t.not(port.targetPort, 18443, `Service port ${port.name} does not target the proxy`);
        t.not(port.targetPort, 'proxy', `Service port ${port.name} does not target the proxy by name`);
      }
      t.ok(
        service.spec.ports.some((p: { name: string; port: number }) => p.name === 'admin' && p.port === 9090),
        'admin port is published for scraping',
      );
    });
  }
}

t.test('clientAuth none: PROXY_AUTH=none and no client key file', async (t) => {
  const env = envOf(proxyContainer(podSpec(render({ values: ['chart/ci/sidecar-values.yaml'] }))));
  t.equal(env.PROXY_AUTH, 'none');
  t.notOk('PROXY_X_API_KEY_FILE' in env, 'no client key to read');
});
