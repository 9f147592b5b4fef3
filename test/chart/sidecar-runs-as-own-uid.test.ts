// The proxy runs as its own UID and GID, 18443, set in its container's securityContext in every mode: service
// mode's proxy, sidecar mode's, the helm test Pod's check (which runs a proxy in sidecar mode), the injector,
// and the sidecar the injector inserts (INJECT_CONFIG, and a Pod it really patched). Not 0, and not 1000 or
// 65532, which node-based and distroless app images run as: an app process with the proxy's UID in the same
// process namespace could read the proxy's key through /proc. The chart refuses those three; the image's USER
// is the same 18443 (container-image.test.ts), the embedded templates' in embedded-sidecar.test.ts.
import t, { type Test } from 'tap';
import { parse } from 'yaml';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from '../inject/rendered';
import { CI_VALUES, KUBE_VERSIONS, allContainers, findAll, isInjector, podSpecs, render, renderFails, type K8sObject } from './helm';

const OWN = 18443;
const CHART_CONTAINERS = ['openai-proxy', 'check', 'injector'];

function checkOwnUid(t: Test, where: string, container: K8sObject): void {
  t.match(container.securityContext, { runAsNonRoot: true, runAsUser: OWN, runAsGroup: OWN }, `${where}: ${container.name} runs as ${OWN}:${OWN}`);
}

for (const kube of KUBE_VERSIONS) {
  for (const file of CI_VALUES) {
    t.test(`${file} on ${kube}`, async (t) => {
      const objs = render({ values: [file], kube });
      for (const { name, spec } of podSpecs(objs)) {
        for (const c of allContainers(spec)) {
          if (CHART_CONTAINERS.includes(c.name)) checkOwnUid(t, name, c);
          // Sidecar mode's app runs as its image's user; the chart never gives it the proxy's.
          else t.not(c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser, OWN, `${name}: ${c.name} is not given the proxy's UID`);
        }
      }
      const injectConfig = findAll(objs.filter(isInjector), 'ConfigMap')[0];
      if (injectConfig) {
        const template = parse(injectConfig.data['sidecar.yaml']);
        for (const variant of ['secret', 'workloadIdentity']) if (template[variant]) checkOwnUid(t, `INJECT_CONFIG ${variant}`, template[variant].container);
      }
    });
  }
}

t.test("a Pod the injector patched: the sidecar's own UID, the app's securityContext as it was", async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  const after = patchedPod(pod, (await review(injector.url, admissionReview(pod))).json!.response);
  checkOwnUid(
    t,
    'the patched Pod',
    after.spec.initContainers.find((c: K8sObject) => c.name === 'openai-proxy'),
  );
  t.same(after.spec.containers[0].securityContext, pod.spec.containers[0].securityContext, "the app container's is untouched");
  t.same(after.spec.securityContext, pod.spec.securityContext, "and so is the Pod's");
});

t.test('UIDs that app images run as are refused', async (t) => {
  for (const uid of [0, 1000, 65532]) {
    const stderr = renderFails({ values: ['chart/ci/injector-values.yaml'], set: [`proxy.securityContext.runAsUser=${uid}`] });
    t.match(stderr, new RegExp(`proxy\\.securityContext\\.runAsUser: ${uid} is a UID that app images use .*such as the default 18443`), `${uid}`);
  }
  const platform = render({ values: ['chart/ci/service-values.yaml'], set: ['proxy.securityContext.runAsUser=null'] });
  const proxy = allContainers(podSpecs(platform)[0]!.spec).find((c) => c.name === 'openai-proxy')!;
  t.equal(proxy.securityContext.runAsUser, undefined, "null leaves the UID to the platform (OpenShift's SCC)");
});
