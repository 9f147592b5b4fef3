// Pods that did not ask for the sidecar, or have it already, and reviews that are not a Pod CREATE, are
// allowed as they are: no patch and no warning. Sending a patched Pod again changes nothing (idempotent).
import t, { type Test } from 'tap';
import { admissionReview, fixturePod, patchedPod, review, startInjector, type RunningInjector } from '../helpers/injector';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

async function expectUnchanged(t: Test, injector: RunningInjector, sent: any, reason: RegExp): Promise<void> {
  const reply = await review(injector.url, sent);
  t.equal(reply.status, 200);
  t.same(
    reply.json,
    { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: sent.request.uid, allowed: true } },
    'allowed, no patch, no warning',
  );
  const line = await injector.waitForLog((l) => l.uid === sent.request.uid);
  t.match(line, { level: 'info', event: 'admission', result: 'skipped', reason });
}

t.test('left alone', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });

  const unannotated = fixturePod('deployment-pod');
  delete unannotated.metadata.annotations;
  await expectUnchanged(t, injector, admissionReview(unannotated), /no openai-proxy.io\/inject/);

  const declined = fixturePod('deployment-pod');
  declined.metadata.annotations['openai-proxy.io/inject'] = 'false';
  await expectUnchanged(t, injector, admissionReview(declined), /no openai-proxy.io\/inject/);

  const pod = fixturePod('deployment-pod');
  const once = patchedPod(pod, (await review(injector.url, admissionReview(pod))).json!.response);
  await expectUnchanged(t, injector, admissionReview(once), /already injected/);

  await expectUnchanged(t, injector, admissionReview(pod, { operation: 'UPDATE', oldObject: pod }), /not a Pod CREATE \(UPDATE pods\)/);
  const ephemeral = { kind: { group: '', version: 'v1', kind: 'Pod' }, subResource: 'ephemeralcontainers', operation: 'UPDATE' };
  await expectUnchanged(t, injector, admissionReview(pod, ephemeral), /pods\/ephemeralcontainers/);
  const deployment = { kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' } };
  await expectUnchanged(t, injector, admissionReview({ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'x' } }, deployment), /deployments/);
});
