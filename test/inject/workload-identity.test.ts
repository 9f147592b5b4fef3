// With upstream.workloadIdentity in the chart, a Pod that names no Secret gets a keyless sidecar: the
// projected token of the Pod's own ServiceAccount is mounted into the proxy container only, and no Secret is
// referenced at all. A Pod that names a Secret still gets that Secret's key instead.
import t from 'tap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

const KEYLESS = 'chart/ci/injector-keyless-values.yaml';
const added = (before: any, after: any) => after.spec.volumes.filter((v: any) => !(before.spec.volumes ?? []).some((b: any) => b.name === v.name));

t.test("no Secret named: the Pod's own ServiceAccount token", async (t) => {
  const { config } = renderInjector(tempDir(t), { values: [KEYLESS] });
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  delete pod.metadata.annotations['openai-proxy.io/secret'];
  const sent = admissionReview(pod);
  const after = patchedPod(pod, (await review(injector.url, sent)).json!.response);
  t.doesNotThrow(() => new Pod(after as any).validate(), 'a valid Pod');

  const volumes = added(pod, after);
  t.same(
    volumes.map((v: any) => v.name),
    ['openai-proxy-identity'],
  );
  t.notOk(
    volumes.some((v: any) => v.secret),
    'no Secret volume: nothing in the namespace holds a key',
  );
  t.match(volumes[0].projected.sources, [{ serviceAccountToken: { path: 'token', audience: 'https://api.openai.com/v1', expirationSeconds: 3600 } }]);
  const sidecar = after.spec.initContainers.find((c: any) => c.name === 'openai-proxy');
  t.notOk(
    sidecar.env.some((e: any) => e.name === 'OPENAI_API_KEY_FILE'),
    'no key file',
  );
  t.ok(
    sidecar.volumeMounts.some((m: any) => m.name === 'openai-proxy-identity'),
    'the token is mounted into the proxy',
  );
  t.notOk(
    after.spec.containers[0].volumeMounts.some((m: any) => m.name === 'openai-proxy-identity'),
    'and not into the app',
  );
  t.ok(
    sidecar.env.some((e: any) => e.name === 'OPENAI_SERVICE_ACCOUNT_ID' && e.value === 'svcacct_0123456789abcdef'),
    "the release's OpenAI service account",
  );
  t.match(await injector.waitForLog((l) => l.uid === sent.request.uid), { result: 'injected', credential: 'workloadIdentity' });
});

t.test('a Secret named: its key, even where workload identity is configured', async (t) => {
  const { config } = renderInjector(tempDir(t), { values: [KEYLESS] });
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  const after = patchedPod(pod, (await review(injector.url, admissionReview(pod))).json!.response);
  const volumes = added(pod, after);
  t.same(
    volumes.map((v: any) => v.name),
    ['openai-proxy-auth'],
  );
  t.same(volumes[0].secret.secretName, 'team-a-openai');
  const sidecar = after.spec.initContainers.find((c: any) => c.name === 'openai-proxy');
  t.notOk(
    sidecar.env.some((e: any) => e.name.startsWith('OPENAI_IDENTITY_') || e.name === 'OPENAI_SERVICE_ACCOUNT_ID'),
    'no workload identity',
  );
});
