// injector.enabled renders the injector: a Deployment of 2 replicas with a PDB, its Service, a ServiceAccount
// without a token, the sidecar ConfigMap, and the MutatingWebhookConfiguration that sends it Pod creates.
import t from 'tap';
import { envOf, find, findAll, isInjector, render, type K8sObject } from './helm';

const INJECTOR = 'chart/ci/injector-values.yaml';
const injectorObjects = (opts: Parameters<typeof render>[0] = {}) => render({ values: [INJECTOR], ...opts }).filter(isInjector);

t.test('the objects', async (t) => {
  const objs = injectorObjects();
  t.same(objs.map((o) => o.kind).sort(), [
    'ConfigMap',
    'Deployment',
    'MutatingWebhookConfiguration',
    'PodDisruptionBudget',
    'Secret',
    'Service',
    'ServiceAccount',
  ]);
  const deployment = find(objs, 'Deployment');
  t.equal(deployment.spec.replicas, 2, 'two replicas');
  t.same(find(objs, 'PodDisruptionBudget').spec, { maxUnavailable: 1, selector: deployment.spec.selector });
  t.equal(find(objs, 'ServiceAccount').automountServiceAccountToken, false);
  const pod = deployment.spec.template.spec;
  t.equal(pod.automountServiceAccountToken, false, 'no API token: it reads nothing from the API');
  t.equal(pod.serviceAccountName, find(objs, 'ServiceAccount').metadata.name);
  t.match(pod.topologySpreadConstraints, [{ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }], 'replicas spread over nodes');

  const [container] = pod.containers;
  t.same(container.command, ['node', '/app/dist/main.js', 'inject'], 'the same image, the inject command');
  const env = envOf(container);
  t.same(
    Object.keys(env).filter((name) => /KEY(?!_FILE)|TOKEN/.test(name) && name !== 'INJECT_TLS_KEY_FILE'),
    [],
    'no OpenAI key or client key of its own',
  );
  t.equal(env.INJECT_CONFIG, '/etc/openai-proxy-injector/sidecar.yaml');
  t.same(
    pod.volumes.map((v: K8sObject) => Object.keys(v).filter((k) => k !== 'name')[0]),
    ['secret', 'configMap'],
    'its certificate and the sidecar, nothing else',
  );
  t.match(container.readinessProbe, { httpGet: { path: '/readyz', port: 'admin' } });
  t.match(container.livenessProbe, { httpGet: { path: '/healthz', port: 'admin' } });
  t.ok(deployment.spec.template.metadata.annotations['checksum/sidecar'], 'a new sidecar template rolls the injector');

  const service = find(objs, 'Service');
  t.same(
    service.spec.ports.map((p: K8sObject) => [p.name, p.port, p.targetPort]),
    [
      ['webhook', 443, 'webhook'],
      ['admin', 9090, 'admin'],
    ],
  );
  t.match(deployment.spec.template.metadata.labels, service.spec.selector);
});

t.test('the webhook', async (t) => {
  const objs = injectorObjects({ kube: '1.33' });
  const config = find(objs, 'MutatingWebhookConfiguration');
  t.match(config.metadata.name, /-ai$/, 'the namespace in the cluster-wide name');
  const [webhook] = config.webhooks;
  t.match(webhook, {
    admissionReviewVersions: ['v1'],
    clientConfig: { service: { name: find(objs, 'Service').metadata.name, namespace: 'ai', path: '/inject', port: 443 } },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
    failurePolicy: 'Ignore',
    sideEffects: 'None',
    timeoutSeconds: 10,
    reinvocationPolicy: 'Never',
  });
  t.same(
    webhook.namespaceSelector.matchExpressions,
    [
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
      { key: 'openai-proxy.io/inject', operator: 'NotIn', values: ['disabled'] },
    ],
    'every namespace but kube-system and those that opt out',
  );
  const [exclude] = webhook.objectSelector.matchExpressions;
  t.equal(exclude.operator, 'DoesNotExist');
  t.ok(exclude.key in find(objs, 'Deployment').spec.template.metadata.labels, 'its own Pods carry the label it excludes');
  t.match(webhook.matchConditions, [{ expression: /'openai-proxy\.io\/inject' in object\.metadata\.annotations/ }], 'only annotated Pods are sent');
});

t.test('matchConditions only where the API server has them (1.28 and later)', async (t) => {
  t.ok(find(injectorObjects({ kube: '1.28' }), 'MutatingWebhookConfiguration').webhooks[0].matchConditions);
  t.equal(find(injectorObjects({ kube: '1.27' }), 'MutatingWebhookConfiguration').webhooks[0].matchConditions, undefined);
});

t.test('failurePolicy Fail, namespaces opting in, replicas', async (t) => {
  const objs = injectorObjects({ set: ['injector.failurePolicy=Fail', 'injector.namespaceOptIn=true', 'injector.replicaCount=1'] });
  const [webhook] = find(objs, 'MutatingWebhookConfiguration').webhooks;
  t.equal(webhook.failurePolicy, 'Fail');
  t.same(webhook.namespaceSelector.matchExpressions[1], { key: 'openai-proxy.io/inject', operator: 'In', values: ['enabled'] });
  t.equal(findAll(objs, 'PodDisruptionBudget').length, 0, 'no PDB over one replica: it would block every drain');
});

t.test('off by default', async (t) => {
  t.same(render({ values: ['chart/ci/service-values.yaml'] }).filter(isInjector), []);
});
