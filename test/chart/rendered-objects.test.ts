// What each chart/ci values file renders, on Kubernetes before (1.28) and after (1.33) native sidecars: the
// kinds are the same on both; what differs is inside the Pod spec (see native-sidecar.test.ts).
import t from 'tap';
import { KUBE_VERSIONS, render } from './helm';

const SERVICE_BASE = ['ConfigMap', 'Deployment', 'Pod', 'PodDisruptionBudget', 'Service', 'ServiceAccount'];
const EXPECTED: Record<string, string[]> = {
  'service-values.yaml': SERVICE_BASE,
  'service-create-values.yaml': ['ConfigMap', 'Deployment', 'Pod', 'Secret', 'Service', 'ServiceAccount'],
  'service-clients-values.yaml': SERVICE_BASE,
  'service-features-values.yaml': [...SERVICE_BASE, 'HorizontalPodAutoscaler', 'NetworkPolicy', 'ServiceMonitor'].sort(),
  'sidecar-values.yaml': ['ConfigMap', 'Deployment', 'Pod', 'Service', 'ServiceAccount'],
  'sidecar-key-values.yaml': SERVICE_BASE,
  'sidecar-embedded-values.yaml': ['ConfigMap'],
  'dashboard-values.yaml': ['ConfigMap', ...SERVICE_BASE].sort(),
};

for (const kube of KUBE_VERSIONS) {
  for (const [file, kinds] of Object.entries(EXPECTED)) {
    t.test(`${file} on ${kube}: ${kinds.length} objects`, async (t) => {
      t.same(
        render({ values: [`chart/ci/${file}`], kube })
          .map((o) => o.kind)
          .sort(),
        kinds,
      );
    });
  }
}
