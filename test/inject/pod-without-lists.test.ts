// A Pod with no `volumes`, no `initContainers`, and a container with no `env` (a bare Pod without a
// ServiceAccount token): `add` to `/spec/volumes/-` would fail, so each missing list is added whole, and the
// patch applies.
import t from 'tap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

t.test('every list the patch needs is added whole', async (t) => {
  const { config } = renderInjector(tempDir(t), { kube: '1.33' });
  const injector = await startInjector(t, { config });
  const pod = fixturePod('bare-pod');
  t.equal(pod.spec.volumes, undefined, 'the fixture has no volumes');
  const response = (await review(injector.url, admissionReview(pod, { namespace: 'batch' }))).json!.response;
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));

  const paths = ops.map((op: any) => `${op.op} ${op.path}`);
  t.ok(
    ops.every((op: any) => op.op === 'add'),
    'only adds',
  );
  t.ok(paths.includes('add /spec/initContainers'), 'initContainers added as a list');
  t.ok(paths.includes('add /spec/volumes'), 'volumes added as a list');
  t.ok(paths.includes('add /spec/containers/0/env'), "the container's env added as a list");
  t.notOk(
    paths.some((p: string) => p.endsWith('/-')),
    'nothing appended to a list that does not exist',
  );

  const after = patchedPod(pod, response);
  t.doesNotThrow(() => new Pod(after as any).validate(), 'a valid Pod');
  t.same(
    after.spec.initContainers.map((c: any) => c.name),
    ['openai-proxy'],
  );
  t.same(
    after.spec.volumes.map((v: any) => v.name),
    ['openai-proxy-auth'],
  );
  t.same(
    after.spec.containers[0].env.map((e: any) => e.name),
    ['OPENAI_BASE_URL', 'OPENAI_API_KEY'],
  );
  t.equal(after.metadata.name, 'batch-summarise');
});
