// A PodDisruptionBudget only when more than one replica runs: over a single replica it would block every
// voluntary eviction (node drains) for good.
import t from 'tap';
import { findAll, render } from './helm';

const pdbs = (set: string[], file = 'chart/ci/service-values.yaml') => findAll(render({ values: [file], set }), 'PodDisruptionBudget');

t.test('replicas > 1: a PDB allowing one Pod down', async (t) => {
  const [pdb] = pdbs(['replicaCount=2']);
  t.equal(pdb?.spec.maxUnavailable, 1);
  t.same(pdb?.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'openai-proxy', 'app.kubernetes.io/instance': 'openai-proxy' });
});

t.test('replicas = 1: none', async (t) => t.same(pdbs(['replicaCount=1']), []));
t.test('disabled: none', async (t) => t.same(pdbs(['replicaCount=3', 'podDisruptionBudget.enabled=false']), []));
t.test('autoscaling counts minReplicas', async (t) => {
  t.equal(pdbs(['replicaCount=1', 'autoscaling.enabled=true', 'autoscaling.minReplicas=2']).length, 1);
  t.equal(pdbs(['replicaCount=5', 'autoscaling.enabled=true', 'autoscaling.minReplicas=1']).length, 0);
});
t.test('sidecar mode too (the app Deployment)', async (t) => {
  t.equal(pdbs([], 'chart/ci/sidecar-key-values.yaml').length, 1, 'replicaCount 3');
  t.equal(pdbs([], 'chart/ci/sidecar-values.yaml').length, 0, 'replicaCount 1');
});
