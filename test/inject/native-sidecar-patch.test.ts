// A Deployment's Pod, in the AdmissionReview the API server sends for its CREATE, asking for the sidecar with
// its own Secret, on Kubernetes >= 1.29: the answer echoes the uid, allows the Pod and patches in the proxy as
// a native sidecar. The patch is applied strictly, and the Pod it makes is a valid Pod by the Kubernetes schema.
import t from 'tap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

t.test('native sidecar, Secret named by the Pod', async (t) => {
  const { config } = renderInjector(tempDir(t), { kube: '1.33' });
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  const sent = admissionReview(pod);
  const reply = await review(injector.url, sent);

  t.equal(reply.status, 200);
  t.equal(reply.json?.apiVersion, 'admission.k8s.io/v1');
  t.equal(reply.json?.kind, 'AdmissionReview');
  const response = reply.json!.response;
  t.equal(response.uid, sent.request.uid, 'the uid is echoed');
  t.equal(response.allowed, true);
  t.equal(response.patchType, 'JSONPatch');
  t.notOk(response.warnings, 'no warning');

  const after = patchedPod(pod, response);
  t.doesNotThrow(() => new Pod(after as any).validate(), 'the patched Pod is valid by the Kubernetes schema');

  const [sidecar, ...otherInit] = after.spec.initContainers;
  t.same(otherInit, [], 'one init container: the proxy');
  t.equal(sidecar.name, 'openai-proxy');
  t.equal(sidecar.restartPolicy, 'Always', 'a native sidecar: started before the app, stopped after it');
  t.match(sidecar.startupProbe, { httpGet: { path: '/readyz', port: 'admin' } }, 'the app starts once the proxy is ready');
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    t.equal(sidecar[probe].httpGet.port, 'admin', `${probe} on the admin port, never the loopback-only proxy port`);
  }
  t.same(
    after.spec.containers.map((c: any) => c.name),
    ['web'],
    'the app containers are the same',
  );

  const auth = after.spec.volumes.find((v: any) => v.name === 'openai-proxy-auth');
  t.same(auth.secret, { secretName: 'team-a-openai', defaultMode: 0o444 }, "the Pod's own Secret (0444: the Pod has no fsGroup, see secret-volumes-0440)");
  const authMount = sidecar.volumeMounts.find((m: any) => m.name === 'openai-proxy-auth');
  t.equal(sidecar.env.find((e: any) => e.name === 'OPENAI_API_KEY_FILE').value, `${authMount.mountPath}/openai-api-key`, 'its openai-api-key entry');
  t.ok(
    after.spec.volumes.find((v: any) => v.name === 'kube-api-access-x7k2p'),
    'the Pod keeps its own volumes',
  );
  for (const mount of sidecar.volumeMounts)
    t.ok(
      after.spec.volumes.some((v: any) => v.name === mount.name),
      `volume ${mount.name} exists`,
    );

  const web = after.spec.containers[0];
  t.same(web.env, [
    { name: 'LOG_FORMAT', value: 'json' },
    { name: 'OPENAI_BASE_URL', value: 'http://127.0.0.1:18443/v1' },
    { name: 'OPENAI_API_KEY', value: 'unused-the-openai-proxy-sidecar-holds-the-key' },
  ]);
  const { env: _before, ...webBefore } = pod.spec.containers[0];
  const { env: _after, ...webAfter } = web;
  t.same(webAfter, webBefore, 'the app container changes in env only: no volume, no mount of the Secret');

  const annotations = after.metadata.annotations;
  t.equal(annotations['openai-proxy.io/status'], 'injected');
  t.equal(annotations['openai-proxy.io/inject'], 'true');
  t.equal(annotations['kubectl.kubernetes.io/restartedAt'], pod.metadata.annotations['kubectl.kubernetes.io/restartedAt'], 'other annotations kept');
  t.equal(annotations['openai-proxy.io/config'], undefined, "no setting of the sidecar's in an annotation (see sidecar-settings-in-env)");

  const line = await injector.waitForLog((l) => l.event === 'admission' && l.uid === sent.request.uid);
  t.match(line, {
    namespace: 'team-a',
    pod: null,
    generateName: 'chat-web-7d4b9c8f6d-',
    result: 'injected',
    credential: 'secret',
    secret: 'team-a-openai',
    dryRun: false,
  });
});
