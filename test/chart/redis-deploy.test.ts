// redis.deploy: one Redis in the release for trying the shared limits out: a Deployment of one replica (never
// two at once) and a Service, with labels of its own so no selector of the proxy's matches it, the image from
// redis.image, no persistence, a restricted securityContext, probes; the proxy's config points at its Service.
// With networkPolicy.enabled only the proxy Pods reach it. The NOTES say it is for trying out and what to run
// in production. Off by default.
import t from 'tap';
import { parse } from 'yaml';
import { CHART, NAMESPACE, RELEASE, find, findAll, helm, isRedis, proxyDeployments, render, type K8sObject } from './helm';

const LIMITS = 'chart/ci/service-limits-values.yaml';

t.test('a Deployment of one Redis and its Service', async (t) => {
  const objs = render({ values: [LIMITS] });
  const deployment = findAll(objs, 'Deployment').find(isRedis)!;
  const service = findAll(objs, 'Service').find(isRedis)!;
  t.equal(deployment.metadata.name, 'openai-proxy-redis');
  t.equal(deployment.spec.replicas, 1);
  t.same(deployment.spec.strategy, { type: 'Recreate' }, 'never two at once, each with counters of its own');
  t.equal(service.metadata.name, 'openai-proxy-redis');
  t.same(service.spec.ports, [{ name: 'redis', port: 6379, targetPort: 'redis', protocol: 'TCP' }]);
  t.same(service.spec.selector, deployment.spec.selector.matchLabels);
  t.match(deployment.spec.template.metadata.labels, service.spec.selector);

  const proxyService = findAll(objs, 'Service').find((s) => !isRedis(s))!;
  const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  t.notOk(matches(proxyService.spec.selector, deployment.spec.template.metadata.labels), "the proxy's Service never selects it");
  t.notOk(matches(find(objs, 'PodDisruptionBudget').spec.selector.matchLabels, deployment.spec.template.metadata.labels), "nor the proxy's PDB");

  const config = parse(find(objs, 'ConfigMap').data['config.yaml']);
  t.equal(config.limits.store.redis.url, 'redis://openai-proxy-redis.ai.svc:6379', 'the proxy counts there');
});

t.test('its container: the image value, no persistence, restricted, probed', async (t) => {
  const spec = findAll(render({ values: [LIMITS], set: ['redis.image=registry.example.com/valkey:8'] }), 'Deployment').find(isRedis)!.spec.template.spec;
  const [redis] = spec.containers as K8sObject[];
  t.equal(redis!.image, 'registry.example.com/valkey:8');
  t.same(redis!.args, ['redis-server', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--port', '6379'], 'no RDB, no AOF');
  t.match(redis!.securityContext, {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  t.same(redis!.readinessProbe.exec.command, ['redis-cli', '-p', '6379', 'ping']);
  t.same(redis!.livenessProbe.tcpSocket, { port: 'redis' });
  t.ok(redis!.resources.limits.memory, 'memory limited');
  t.notOk(
    (spec.volumes as K8sObject[]).some((v) => v.persistentVolumeClaim),
    'no volume that outlives the Pod',
  );
  t.equal(spec.automountServiceAccountToken, false);
  const defaultImage = findAll(render({ values: [LIMITS] }), 'Deployment').find(isRedis)!.spec.template.spec.containers[0].image;
  t.equal(defaultImage, 'redis:7-alpine');
});

t.test('with networkPolicy.enabled: only the proxy Pods reach it, and the proxy may', async (t) => {
  const objs = render({ values: [LIMITS], set: ['networkPolicy.enabled=true'] });
  const redisPolicy = findAll(objs, 'NetworkPolicy').find(isRedis)!;
  const proxyPolicy = findAll(objs, 'NetworkPolicy').find((p) => !isRedis(p))!;
  const proxyLabels = find(proxyDeployments(objs), 'Deployment').spec.template.metadata.labels;
  t.same(redisPolicy.spec.policyTypes, ['Ingress', 'Egress'], 'and it reaches nothing');
  t.equal(redisPolicy.spec.egress, undefined);
  t.same(redisPolicy.spec.ingress, [
    { from: [{ podSelector: { matchLabels: proxyPolicy.spec.podSelector.matchLabels } }], ports: [{ port: 'redis', protocol: 'TCP' }] },
  ]);
  t.match(proxyLabels, proxyPolicy.spec.podSelector.matchLabels);
  const redisLabels = findAll(objs, 'Deployment').find(isRedis)!.spec.template.metadata.labels;
  t.same(proxyPolicy.spec.egress[2], {
    to: [{ podSelector: { matchLabels: redisPolicy.spec.podSelector.matchLabels } }],
    ports: [{ port: 6379, protocol: 'TCP' }],
  });
  t.match(redisLabels, redisPolicy.spec.podSelector.matchLabels);
});

t.test('the NOTES: for trying out, and what to run in production', async (t) => {
  const out = helm(['install', RELEASE, CHART, '--namespace', NAMESPACE, '--values', LIMITS, '--dry-run=client']);
  const notes = out.slice(out.indexOf('NOTES:'));
  t.match(notes, 'Limits are shared through Redis openai-proxy-redis (redis.deploy), which is for trying them out');
  t.match(notes, 'no persistence (a restart forgets every counter), no password, no TLS');
  t.match(notes, 'In production use a\nmanaged Redis or a replicated one, with an ACL user and TLS');
});

t.test('off by default', async (t) => {
  t.same(render({ values: ['chart/ci/service-values.yaml'] }).filter(isRedis), []);
});
