// OPENAI_BASE_URL and the placeholder OPENAI_API_KEY go to every app container that does not set them: each
// regular container, and each init container that keeps running beside the app (a native sidecar of the
// Pod's own). An init container that runs to completion has finished before the proxy starts and is left as it
// is. A container's own value always wins.
import t from 'tap';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

const container = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: `ghcr.io/example/${name}:1`,
  imagePullPolicy: 'IfNotPresent',
  ...extra,
});

t.test('env for the containers that run beside the proxy and lack it', async (t) => {
  const { config } = renderInjector(tempDir(t), { kube: '1.33' });
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  pod.spec.initContainers = [container('wait-for-db'), container('log-shipper', { restartPolicy: 'Always' })];
  pod.spec.containers.push(
    container('own-base-url', { env: [{ name: 'OPENAI_BASE_URL', value: 'http://vllm.models:8000/v1' }] }),
    container('own-key', { env: [{ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'mine', key: 'k' } } }] }),
  );
  const after = patchedPod(pod, (await review(injector.url, admissionReview(pod))).json!.response);
  const envOf = (name: string) => [...after.spec.initContainers, ...after.spec.containers].find((c: any) => c.name === name).env;

  t.same(
    after.spec.initContainers.map((c: any) => c.name),
    ['wait-for-db', 'log-shipper', 'openai-proxy'],
    "the proxy after the Pod's own init containers",
  );
  t.equal(envOf('wait-for-db'), undefined, 'an init container that runs to completion is left alone');
  t.same(
    envOf('log-shipper').map((e: any) => e.name),
    ['OPENAI_BASE_URL', 'OPENAI_API_KEY'],
    'a native sidecar of the Pod gets it',
  );
  t.same(
    envOf('web').map((e: any) => e.name),
    ['LOG_FORMAT', 'OPENAI_BASE_URL', 'OPENAI_API_KEY'],
  );
  t.same(
    envOf('own-base-url'),
    [
      { name: 'OPENAI_BASE_URL', value: 'http://vllm.models:8000/v1' },
      { name: 'OPENAI_API_KEY', value: 'unused-the-openai-proxy-sidecar-holds-the-key' },
    ],
    'its own OPENAI_BASE_URL is kept',
  );
  t.same(
    envOf('own-key').map((e: any) => e.name),
    ['OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    'its own OPENAI_API_KEY is kept',
  );
  t.same(envOf('own-key')[0], pod.spec.containers[2].env[0]);
});
