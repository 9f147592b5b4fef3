// Every Pod the chart renders (Deployment templates and the helm test Pod), in every mode and on both
// Kubernetes versions, meets the restricted Pod Security Standard and has a read-only root filesystem.
import t, { type Test } from 'tap';
import { CI_VALUES, KUBE_VERSIONS, allContainers, podSpecs, proxyContainer, render, type K8sObject } from './helm';

// The restricted profile's volume types (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

function checkPod(t: Test, spec: K8sObject): void {
  t.notOk(spec.hostNetwork || spec.hostPID || spec.hostIPC, 'no host namespaces');
  const pod = spec.securityContext ?? {};
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name');
    t.ok(RESTRICTED_VOLUME_TYPES.includes(type!), `volume ${volume.name} is a ${type}, allowed under restricted`);
  }
  for (const c of allContainers(spec)) {
    const sc = c.securityContext ?? {};
    t.not(sc.privileged, true, `${c.name}: not privileged`);
    t.equal(sc.allowPrivilegeEscalation, false, `${c.name}: allowPrivilegeEscalation false`);
    t.ok(sc.capabilities?.drop?.includes('ALL'), `${c.name}: drops ALL capabilities`);
    t.same(sc.capabilities?.add ?? [], [], `${c.name}: adds no capability`);
    t.equal(sc.runAsNonRoot ?? pod.runAsNonRoot, true, `${c.name}: runAsNonRoot`);
    t.not(sc.runAsUser ?? pod.runAsUser, 0, `${c.name}: not UID 0`);
    t.equal((sc.seccompProfile ?? pod.seccompProfile)?.type, 'RuntimeDefault', `${c.name}: seccomp RuntimeDefault`);
    t.equal(sc.readOnlyRootFilesystem, true, `${c.name}: read-only root filesystem`);
    // The sidecar-mode app's resources are its owner's to choose; the chart's own containers set theirs.
    if (c.name === 'openai-proxy' || c.name === 'check') {
      t.ok(c.resources?.requests && c.resources?.limits?.memory, `${c.name}: resources requested and memory limited`);
    }
  }
}

for (const kube of KUBE_VERSIONS) {
  for (const file of CI_VALUES) {
    t.test(`${file} on ${kube}`, async (t) => {
      const objs = render({ values: [file], kube });
      for (const { name, spec } of podSpecs(objs)) t.test(name, async (t) => checkPod(t, spec));
    });
  }
}

t.test('the proxy container runs as a numeric non-root UID (the image has no name to resolve)', async (t) => {
  const spec = render({ values: ['chart/ci/service-values.yaml'] }).find((o) => o.kind === 'Deployment')!.spec.template.spec;
  const uid = proxyContainer(spec).securityContext.runAsUser;
  t.ok(Number.isInteger(uid) && uid > 0, `runAsUser ${uid}`);
});
