// Every object the chart renders, in every mode and on both Kubernetes versions, validates against the
// Kubernetes OpenAPI schema (the ServiceMonitor against the Prometheus Operator's CRD schema, the injector's
// Issuer and Certificate against cert-manager's). The
// kubernetes-models packages ship those schemas as compiled validators, so this runs offline. They check
// types, required fields, enums and formats; they do not reject unknown fields, which the other tests'
// exact assertions on the fields that matter make up for.
import t from 'tap';
import { CI_VALUES, KUBE_VERSIONS, render, type K8sObject } from './helm';

interface Validating {
  validate(): void;
}
type ModelClass = new (data: K8sObject) => Validating;

const MODELS: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/Pod': 'kubernetes-models/v1/Pod',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'monitoring.coreos.com/v1/ServiceMonitor': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration',
  'cert-manager.io/v1/Issuer': '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer',
  'cert-manager.io/v1/Certificate': '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate',
};

function modelFor(obj: K8sObject): ModelClass {
  const path = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!path) throw new Error(`no schema known for ${obj.apiVersion} ${obj.kind}: add it to MODELS`);
  return (require(path) as Record<string, ModelClass>)[obj.kind]!;
}

// Every optional object switched on, so each kind is checked at least once.
const EVERYTHING = ['serviceMonitor.enabled=true', 'networkPolicy.enabled=true', 'autoscaling.enabled=true'];

for (const kube of KUBE_VERSIONS) {
  for (const file of CI_VALUES) {
    t.test(`${file} on ${kube}`, async (t) => {
      const set = file.includes('sidecar') ? EVERYTHING.filter((s) => !s.startsWith('networkPolicy')) : EVERYTHING;
      for (const obj of render({ values: [file], kube, set })) {
        const Model = modelFor(obj);
        t.doesNotThrow(() => new Model(obj).validate(), `${obj.kind}/${obj.metadata.name}`);
      }
    });
  }
}

t.test('the validator does catch a broken object', async (t) => {
  const Deployment = modelFor({ apiVersion: 'apps/v1', kind: 'Deployment' });
  const broken = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: { selector: {}, template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: '18443' }] }] } } },
  };
  t.throws(() => new Deployment(broken).validate(), /containerPort must be integer/);
});
