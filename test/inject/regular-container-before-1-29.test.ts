// Before Kubernetes 1.29 there are no native sidecars: the chart renders the proxy as a regular container for
// such a cluster, and the injector appends it after the app's containers, so `kubectl logs` and `exec` still
// default to the app. Init containers get nothing: they run before any regular container starts.
import t from 'tap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

t.test('regular sidecar container on 1.28', async (t) => {
  const { config } = renderInjector(tempDir(t), { kube: '1.28' });
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  pod.spec.initContainers = [
    {
      name: 'migrate',
      image: 'ghcr.io/example/migrate:1',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
    },
  ];
  const after = patchedPod(pod, (await review(injector.url, admissionReview(pod))).json!.response);
  t.doesNotThrow(() => new Pod(after as any).validate(), 'a valid Pod');

  t.same(
    after.spec.containers.map((c: any) => c.name),
    ['web', 'openai-proxy'],
    'appended after the app',
  );
  const sidecar = after.spec.containers[1];
  t.equal(sidecar.restartPolicy, undefined, 'no restartPolicy: a regular container');
  t.equal(sidecar.startupProbe, undefined, 'no startup probe: nothing waits for it');
  t.same(sidecar.lifecycle.preStop, { exec: { command: ['sleep', '5'] } }, 'keeps serving while the app shuts down');
  t.same(after.spec.initContainers, pod.spec.initContainers, 'the init container is untouched');
  t.same(
    after.spec.containers[0].env.map((e: any) => e.name),
    ['LOG_FORMAT', 'OPENAI_BASE_URL', 'OPENAI_API_KEY'],
  );
});
