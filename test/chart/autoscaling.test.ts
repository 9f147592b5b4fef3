// autoscaling.enabled: a CPU HorizontalPodAutoscaler owns the replica count (the Deployment then sets none, so
// an upgrade does not reset what the HPA chose).
import t from 'tap';
import { find, findAll, render } from './helm';

t.test('enabled', async (t) => {
  const objs = render({ values: ['chart/ci/service-features-values.yaml'] });
  const hpa = find(objs, 'HorizontalPodAutoscaler');
  t.equal(hpa.apiVersion, 'autoscaling/v2');
  t.same(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: find(objs, 'Deployment').metadata.name });
  t.equal(hpa.spec.minReplicas, 2);
  t.equal(hpa.spec.maxReplicas, 6);
  t.match(hpa.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
  t.equal(find(objs, 'Deployment').spec.replicas, undefined);
});

t.test('disabled: replicas from replicaCount, no HPA', async (t) => {
  const objs = render({ values: ['chart/ci/service-values.yaml'] });
  t.same(findAll(objs, 'HorizontalPodAutoscaler'), []);
  t.equal(find(objs, 'Deployment').spec.replicas, 2);
});
