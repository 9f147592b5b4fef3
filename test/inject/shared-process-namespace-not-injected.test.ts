// A Pod whose processes share a process namespace with the sidecar's (shareProcessNamespace: true, or the
// node's: hostPID: true) is not injected: a process there running as the proxy's user could read the proxy's
// key through /proc/<pid>/root. It is still allowed, never denied: the answer warns whoever created it, the
// injector logs why at warn, and the patch only adds openai-proxy.io/status: skipped, so `kubectl get pod`
// shows it. A Pod that does not ask is left alone whatever it shares.
import t from 'tap';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { fetchText } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

type Pod = Record<string, any>;
const cases: Array<[string, (spec: Pod) => void, RegExp]> = [
  ['shareProcessNamespace', (spec) => (spec.shareProcessNamespace = true), /share one process namespace \(shareProcessNamespace: true\).*\/proc/],
  ['hostPID', (spec) => (spec.hostPID = true), /the node's process namespace \(hostPID: true\).*\/proc/],
  ['both', (spec) => Object.assign(spec, { shareProcessNamespace: true, hostPID: true }), /shareProcessNamespace: true.*; .*hostPID: true/],
];

t.test('skipped with a warning, a log line and only the status annotation', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  for (const [name, share, reason] of cases) {
    const pod = fixturePod('deployment-pod');
    share(pod.spec);
    const sent = admissionReview(pod);
    const reply = await review(injector.url, sent);
    t.equal(reply.status, 200, `${name}: 200`);
    const response = reply.json!.response;
    t.same([response.uid, response.allowed], [sent.request.uid, true], `${name}: allowed, never denied`);
    t.equal(response.warnings?.length, 1, `${name}: one warning`);
    t.match(response.warnings[0], /^openai-proxy sidecar not injected: /);
    t.match(response.warnings[0], reason);

    const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
    t.same(ops, [{ op: 'add', path: '/metadata/annotations/openai-proxy.io~1status', value: 'skipped' }], `${name}: the patch only adds the status`);
    const after = patchedPod(pod, response);
    const { annotations, ...metadata } = after.metadata;
    t.same(after.spec, pod.spec, `${name}: the spec is as it was: no sidecar, no volume, no env`);
    t.same(metadata, (({ annotations: _, ...m }) => m)(pod.metadata), `${name}: metadata as it was`);
    t.same(annotations, { ...pod.metadata.annotations, 'openai-proxy.io/status': 'skipped' });

    const line = await injector.waitForLog((l) => l.uid === sent.request.uid);
    t.match(
      line,
      { level: 'warn', event: 'admission', result: 'skipped', namespace: 'team-a', generateName: 'chat-web-7d4b9c8f6d-', reason },
      `${name}: logged`,
    );
  }
  const metrics = (await fetchText(`${injector.adminUrl}/metrics`)).text;
  t.match(metrics, new RegExp(`openai_proxy_injections_total\\{result="skipped"\\} ${cases.length}\\n`), 'each counted as skipped');
  t.notMatch(metrics, /openai_proxy_injections_total\{result="injected"\} [1-9]/, 'none injected');
});

t.test('a Pod that does not ask is left alone, whatever it shares', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  delete pod.metadata.annotations['openai-proxy.io/inject'];
  pod.spec.shareProcessNamespace = true;
  const sent = admissionReview(pod);
  const reply = await review(injector.url, sent);
  t.same(reply.json!.response, { uid: sent.request.uid, allowed: true }, 'no patch, no warning');
  t.match(await injector.waitForLog((l) => l.uid === sent.request.uid), { level: 'info', result: 'skipped', reason: /no openai-proxy.io\/inject/ });
});

t.test('shareProcessNamespace: false is no reason to skip', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  const pod = fixturePod('deployment-pod');
  Object.assign(pod.spec, { shareProcessNamespace: false, hostPID: false });
  const after = patchedPod(pod, (await review(injector.url, admissionReview(pod))).json!.response);
  t.equal(after.metadata.annotations['openai-proxy.io/status'], 'injected');
});
