// Secret volumes are mounted `defaultMode: 0440`: the kubelet makes their files root's and, when the Pod has an
// fsGroup, that group's, which it gives every container of the Pod as a supplementary group. So every Pod the
// chart renders with a Secret volume has an fsGroup (18443, the proxy's GID; any other works too, and none is
// refused), and the proxy still reads its keys. The projected token volumes carry no mode: the kubelet's own rule
// (0600 for a single user, 0640 and the fsGroup's with one) already leaves them to the proxy's group at most.
//
// An injected Pod's securityContext is its app's: the injector never adds an fsGroup (which would re-own every
// volume of the Pod, the app's PersistentVolumes included). With the Pod's own fsGroup the files stay 0440;
// without one they are root:root, so the injector gives them 0444: only the sidecar mounts them.
//
// Run as root, the files are laid out with the kubelet's owner and mode and read by a process with the proxy's
// UID, GID and the Pod's fsGroup (setpriv), as the kernel would let the container read them.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { admissionReview, fixturePod, patchedPod, review, startInjector } from '../helpers/injector';
import { randomKey } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from '../inject/rendered';
import { CI_VALUES, KUBE_VERSIONS, findAll, isInjector, podSpec, podSpecs, proxyContainer, render, renderFails, type K8sObject } from './helm';
import { layOutPod, type ProxyLayout } from './pod-layout';

const PROXY_ID = 18443;
const canRunAs = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');
const asRoot = { skip: !canRunAs && 'needs root and setpriv to read the files as the proxy user' };

function checkVolumes(t: Test, where: string, volumes: K8sObject[]): void {
  for (const v of volumes) {
    if (v.secret) t.equal(v.secret.defaultMode, 0o440, `${where}: Secret volume ${v.name} is 0440`);
    if (v.projected) t.equal(v.projected.defaultMode, undefined, `${where}: projected volume ${v.name} keeps the kubelet's token rule`);
  }
}

for (const kube of KUBE_VERSIONS) {
  for (const file of CI_VALUES) {
    t.test(`${file} on ${kube}`, async (t) => {
      const objs = render({ values: [file], kube });
      for (const { name, spec } of podSpecs(objs)) {
        checkVolumes(t, name, spec.volumes ?? []);
        if ((spec.volumes ?? []).some((v: K8sObject) => v.secret)) t.equal(spec.securityContext?.fsGroup, PROXY_ID, `${name}: fsGroup ${PROXY_ID}`);
      }
      const injectConfig = findAll(objs.filter(isInjector), 'ConfigMap')[0];
      if (injectConfig) {
        const template = parse(injectConfig.data['sidecar.yaml']);
        for (const variant of ['secret', 'workloadIdentity']) if (template[variant]) checkVolumes(t, `INJECT_CONFIG ${variant}`, template[variant].volumes);
      }
    });
  }
}

t.test('an fsGroup is required, and any will do', async (t) => {
  const stderr = renderFails({ values: ['chart/ci/service-values.yaml'], set: ['podSecurityContext.fsGroup=null'] });
  t.match(stderr, /podSecurityContext\.fsGroup is not set: the Secret volumes' files are 0440/);
  t.match(
    renderFails({ values: ['chart/ci/injector-values.yaml'], set: ['podSecurityContext.fsGroup=null'] }),
    /podSecurityContext\.fsGroup/,
    'the injector too',
  );
  const own = podSpec(render({ values: ['chart/ci/service-values.yaml'], set: ['podSecurityContext.fsGroup=2000'] }));
  t.equal(own.securityContext.fsGroup, 2000);
  t.ok(
    render({ values: ['chart/ci/sidecar-embedded-values.yaml'], set: ['podSecurityContext.fsGroup=null'] }),
    'embedded: no Pod of the chart, the parent sets it',
  );
});

/** Reads each file of each mount as `uid:gid` with these groups; returns what failed (never the contents). */
function unreadable(layout: ProxyLayout, groups: number[], uid = PROXY_ID, gid = PROXY_ID): string[] {
  const paths = layout.mounts.flatMap((m) => {
    const listed = spawnSync('ls', [m.hostPath], { encoding: 'utf8' }).stdout.split('\n');
    return listed.filter((n) => n && !n.startsWith('..')).map((n) => join(m.hostPath, n));
  });
  const groupArgs = groups.length > 0 ? [`--groups=${groups.join(',')}`] : ['--clear-groups'];
  const script = 'for (const p of process.argv.slice(1)) { try { require("fs").readFileSync(p); } catch (e) { console.log(p + " " + e.code); } }';
  const run = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, ...groupArgs, process.execPath, '-e', script, ...paths], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`setpriv failed: ${run.stderr}`);
  return run.stdout.split('\n').filter(Boolean);
}

function podRoot(t: Test): string {
  const dir = tempDir(t);
  chmodSync(dir, 0o755); // the proxy's user must reach the laid-out mounts
  return join(dir, 'pod');
}

t.test("the chart's Pod: root:18443 0440, read through the fsGroup", asRoot, async (t) => {
  const objs = render({ values: ['chart/ci/service-values.yaml'] });
  const spec = podSpec(objs);
  const keys = { 'openai-api-key': randomKey('sk-test-upstream'), 'proxy-api-key': randomKey('client') };
  const layout = layOutPod({ metadata: {}, spec }, objs, podRoot(t), { 'openai-proxy-keys': keys });
  const auth = layout.mounts.find((m) => m.mountPath === '/var/run/secrets/openai-proxy/auth')!;
  const stat = spawnSync('stat', ['-L', '-c', '%a %u %g', join(auth.hostPath, 'openai-api-key')], { encoding: 'utf8' }).stdout.trim();
  t.equal(stat, `440 0 ${PROXY_ID}`, 'as the kubelet writes it');
  t.same(unreadable(layout, [spec.securityContext.fsGroup]), [], 'the proxy reads every file');
  t.match(unreadable(layout, [], 1000, 1000).join('\n'), /openai-api-key EACCES/, 'a user outside the group (1000:1000, no fsGroup) is refused');
  t.match(proxyContainer(spec).securityContext, { runAsUser: PROXY_ID, runAsGroup: PROXY_ID });
});

t.test('an injected Pod: its own fsGroup kept, none added; readable either way', async (t) => {
  const dir = tempDir(t);
  const { config, objs } = renderInjector(dir);
  const injector = await startInjector(t, { config });
  const secrets = { 'team-a-openai': { 'openai-api-key': randomKey('sk-test-upstream') } };
  for (const fsGroup of [undefined, 2000]) {
    const pod = fixturePod('deployment-pod');
    if (fsGroup) pod.spec.securityContext = { fsGroup };
    const after = patchedPod(pod, (await review(injector.url, admissionReview(pod))).json!.response);
    t.same(after.spec.securityContext, pod.spec.securityContext, `fsGroup ${fsGroup}: the Pod's securityContext is as it was`);
    const auth = after.spec.volumes.find((v: K8sObject) => v.name === 'openai-proxy-auth');
    const mode = fsGroup ? 0o440 : 0o444;
    t.equal(auth.secret.defaultMode, mode, `fsGroup ${fsGroup}: the Secret volume is 0${mode.toString(8)}`);
    if (!canRunAs) continue;
    const layout = layOutPod(after, objs, podRoot(t), secrets);
    t.same(unreadable(layout, fsGroup ? [fsGroup] : []), [], `fsGroup ${fsGroup}: the proxy's user reads its key`);
    if (!fsGroup) {
      // What the chart's 0440 would have been in a Pod without an fsGroup: root's alone.
      auth.secret.defaultMode = 0o440;
      t.match(unreadable(layOutPod(after, objs, podRoot(t), secrets), []).join('\n'), /EACCES/, 'while 0440 without an fsGroup could not be read');
    }
  }
});
