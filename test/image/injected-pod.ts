/**
 * The injector's part of the image check: the Pod the image runs is the one the injector makes. The chart is
 * rendered with `injector.enabled`, the built injector (a process, with the rendered INJECT_CONFIG and serving
 * certificate) is sent the AdmissionReview of a Deployment's Pod that asks for the sidecar and names its Secret,
 * and its patch is applied strictly: the patched Pod's sidecar is then what runs in Docker. The image is also
 * asked to run the injector's own command, as the injector Deployment gives it.
 *
 *   injectedPod(t, dir, objs, podSecurityContext?) -> Promise<K8sObject>   the patched Pod (metadata and spec);
 *                                                     the fixture gets podSecurityContext (its own is empty) first
 *   checkInjectCommand(t, objs, image)                the command starts the injector in the image: without
 *                                                     its settings it refuses, naming INJECT_CONFIG
 */
import type { Test } from 'tap';
import { find, isInjector, type K8sObject } from '../chart/helm';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { writeInjectorFiles } from '../inject/rendered';
import { docker } from './docker';

export async function injectedPod(t: Test, dir: string, objs: K8sObject[], podSecurityContext: K8sObject = {}): Promise<K8sObject> {
  const { config, tls } = writeInjectorFiles(dir, objs);
  const injector = await startInjector(t, { config, cert: tls.cert, key: tls.key });
  const pod = fixturePod('deployment-pod');
  pod.spec.securityContext = { ...pod.spec.securityContext, ...podSecurityContext };
  // Trusting only the webhook's caBundle, under the Service's name, as the API server does.
  const { clientConfig } = find(objs, 'MutatingWebhookConfiguration').webhooks[0];
  const ca = Buffer.from(clientConfig.caBundle, 'base64').toString('utf8');
  const reply = await review(injector.url, admissionReview(pod), { ca, servername: `${clientConfig.service.name}.${clientConfig.service.namespace}.svc` });
  if (reply.json?.response?.patchType !== 'JSONPatch') throw new Error(`the injector did not patch the Pod: ${reply.text}`);
  await injector.stop();
  return patchedPod(pod, reply.json.response);
}

export async function checkInjectCommand(t: Test, objs: K8sObject[], image: string): Promise<void> {
  const container = find(objs.filter(isInjector), 'Deployment').spec.template.spec.containers[0];
  const run = await docker(['run', '--rm', '--network', 'none', '--entrypoint', container.command[0], image, ...container.command.slice(1)], {
    both: true,
  }).then(
    (out) => ({ code: 0, out }),
    (err: Error) => ({ code: 1, out: err.message }),
  );
  t.equal(run.code, 1, `${container.command.join(' ')}: refuses to start without its settings`);
  t.match(run.out, /INJECT_CONFIG: is required/, 'and it is the injector that says so');
}
