// mode: service renders a Deployment behind a ClusterIP Service on 18443 (and the admin port), a
// ServiceAccount without a token, and the proxy's config in a ConfigMap; the Pod drains gracefully.
import t from 'tap';
import { parse } from 'yaml';
import { CI_VALUES, KUBE_VERSIONS, envOf, find, podSpec, proxyContainer, render, type K8sObject } from './helm';

const SERVICE = 'chart/ci/service-values.yaml';

t.test('Service: 18443 for clients, 9090 for scraping, selecting the proxy Pods', async (t) => {
  const objs = render({ values: [SERVICE] });
  const service = find(objs, 'Service');
  t.equal(service.metadata.name, 'openai-proxy', 'so the URL is http://openai-proxy.<ns>.svc.cluster.local:18443/v1');
  t.equal(service.spec.type, 'ClusterIP');
  t.same(
    service.spec.ports.map((p: K8sObject) => [p.name, p.port, p.targetPort]),
    [
      ['proxy', 18443, 'proxy'],
      ['admin', 9090, 'admin'],
    ],
  );
  const deployment = find(objs, 'Deployment');
  t.match(deployment.spec.template.metadata.labels, service.spec.selector, 'the selector matches the Pods');
  t.same(deployment.spec.selector.matchLabels, service.spec.selector);
  const ports = proxyContainer(podSpec(objs)).ports.map((p: K8sObject) => [p.name, p.containerPort]);
  t.same(ports, [
    ['proxy', 18443],
    ['admin', 9090],
  ]);
});

t.test('the proxy container gets every runtime setting', async (t) => {
  const env = envOf(proxyContainer(podSpec(render({ values: [SERVICE] }))));
  t.same(env, {
    OPENAI_API_KEY_FILE: '/var/run/secrets/openai-proxy/auth/openai-api-key',
    PROXY_X_API_KEY_FILE: '/var/run/secrets/openai-proxy/auth/proxy-api-key',
    PROXY_CONFIG: '/etc/openai-proxy/config.yaml',
    PROXY_AUTH: 'key',
    HOST: '0.0.0.0',
    PORT: '18443',
    ADMIN_HOST: '0.0.0.0',
    ADMIN_PORT: '9090',
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE_MS: '30000',
    MAX_BODY_BYTES: '104857600',
    UPSTREAM_CONNECT_TIMEOUT_MS: '10000',
    UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '600000',
    UPSTREAM_IDLE_TIMEOUT_MS: '600000',
  });
});

t.test('extraEnv, extraVolumes and scheduling fields pass through', async (t) => {
  const spec = podSpec(
    render({
      values: [SERVICE],
      set: [
        'proxy.extraEnv[0].name=NODE_EXTRA_CA_CERTS',
        'proxy.extraEnv[0].value=/etc/ca/ca.pem',
        'extraVolumes[0].name=ca',
        'extraVolumes[0].configMap.name=corp-ca',
        'proxy.extraVolumeMounts[0].name=ca',
        'proxy.extraVolumeMounts[0].mountPath=/etc/ca',
        'nodeSelector.pool=general',
        'tolerations[0].key=dedicated',
        'tolerations[0].operator=Exists',
        'priorityClassName=high',
      ],
    }),
  );
  const proxy = proxyContainer(spec);
  t.equal(envOf(proxy).NODE_EXTRA_CA_CERTS, '/etc/ca/ca.pem');
  t.ok(spec.volumes.some((v: K8sObject) => v.name === 'ca' && v.configMap.name === 'corp-ca'));
  t.ok(proxy.volumeMounts.some((m: K8sObject) => m.name === 'ca' && m.mountPath === '/etc/ca'));
  t.same(spec.nodeSelector, { pool: 'general' });
  t.same(spec.tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
  t.equal(spec.priorityClassName, 'high');
});

t.test('ServiceAccount without an automounted token', async (t) => {
  const objs = render({ values: [SERVICE] });
  t.equal(find(objs, 'ServiceAccount').automountServiceAccountToken, false);
  t.equal(podSpec(objs).automountServiceAccountToken, false);
  t.equal(podSpec(objs).serviceAccountName, find(objs, 'ServiceAccount').metadata.name);
});

t.test('ConfigMap holds the config file, with no key in it', async (t) => {
  const objs = render({ values: ['chart/ci/service-create-values.yaml'] });
  const text = find(objs, 'ConfigMap').data['config.yaml'];
  t.same(parse(text), { upstream: { baseUrl: 'https://api.openai.com', authHeader: 'authorization' } });
  t.notMatch(text, /test-upstream-key|test-client-key/);
});

t.test('probes on the admin port', async (t) => {
  const proxy = proxyContainer(podSpec(render({ values: [SERVICE] })));
  t.match(proxy.livenessProbe, { httpGet: { path: '/healthz', port: 'admin' } });
  t.match(proxy.readinessProbe, { httpGet: { path: '/readyz', port: 'admin' } });
});

t.test('graceful stop: a preStop pause, then a grace period longer than the proxy drain', async (t) => {
  for (const kube of KUBE_VERSIONS) {
    const spec = podSpec(render({ values: [SERVICE], kube }));
    const proxy = proxyContainer(spec);
    const drainSeconds = Number(envOf(proxy).SHUTDOWN_GRACE_MS) / 1000;
    const preStop = proxy.lifecycle.preStop;
    const pause = preStop.sleep ? preStop.sleep.seconds : Number(preStop.exec.command[1]);
    t.equal(pause, 5, `${kube}: 5 s pause`);
    t.ok(spec.terminationGracePeriodSeconds > drainSeconds + pause, `${kube}: ${spec.terminationGracePeriodSeconds} s > ${drainSeconds} + ${pause}`);
    // The sleep action is on by default from 1.30; older clusters run /bin/sleep from the image.
    t.ok(kube === '1.33' ? preStop.sleep : preStop.exec, `${kube}: ${Object.keys(preStop)[0]} action`);
  }
  const longer = podSpec(render({ values: [SERVICE], set: ['proxy.shutdownGraceMs=120500'] }));
  t.equal(longer.terminationGracePeriodSeconds, 121 + 5 + 5, 'follows proxy.shutdownGraceMs, rounded up');
});

t.test('standard labels on every object', async (t) => {
  for (const file of CI_VALUES) {
    for (const obj of render({ values: [file] })) {
      t.match(obj.metadata.labels, { 'app.kubernetes.io/name': 'openai-proxy', 'app.kubernetes.io/instance': 'openai-proxy' }, `${file}: ${obj.kind}`);
    }
  }
});
