// Another chart can put the proxy into its own Pods: with openai-proxy as a dependency (mode: sidecar,
// sidecar.deployment: false) it calls the named templates with `(index .Subcharts "openai-proxy")`. This
// parent chart is the example the chart README shows. Its Pod takes the fsGroup the proxy needs from
// openai-proxy.sidecar.podSecurityContext: the Secret's files are 0440, root's and the fsGroup's only, and the
// proxy runs as its own UID and GID (18443).
import t from 'tap';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp';
import { KUBE_VERSIONS, envOf, findAll, proxyContainer, render } from './helm';

const PARENT_TEMPLATE = `{{- $proxy := index .Subcharts "openai-proxy" }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-myapp
spec:
  selector:
    matchLabels: { app: myapp }
  template:
    metadata:
      labels: { app: myapp }
      annotations:
        {{- include "openai-proxy.sidecar.podAnnotations" $proxy | nindent 8 }}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: { type: RuntimeDefault }
        {{- include "openai-proxy.sidecar.podSecurityContext" $proxy | nindent 8 }}
      {{- with include "openai-proxy.sidecar.initContainers" $proxy }}
      initContainers:
        {{- . | nindent 8 }}
      {{- end }}
      containers:
        - name: myapp
          image: example/myapp:1.0.0
          env:
            {{- include "openai-proxy.sidecar.appEnv" $proxy | nindent 12 }}
        {{- include "openai-proxy.sidecar.containers" $proxy | nindent 8 }}
      volumes:
        {{- include "openai-proxy.sidecar.volumes" $proxy | nindent 8 }}
`;

const PARENT_VALUES = `openai-proxy:
  mode: sidecar
  sidecar:
    deployment: false
  auth:
    existingSecret: openai-api-key
    clientAuth: none
`;

function parentChart(t: Parameters<typeof tempDir>[0], values = PARENT_VALUES): string {
  const dir = join(tempDir(t), 'myapp');
  mkdirSync(join(dir, 'templates'), { recursive: true });
  cpSync('chart', join(dir, 'charts', 'openai-proxy'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: myapp\nversion: 1.0.0\ndependencies:\n  - name: openai-proxy\n    version: 0.1.0\n');
  writeFileSync(join(dir, 'values.yaml'), values);
  writeFileSync(join(dir, 'templates', 'deployment.yaml'), PARENT_TEMPLATE);
  return dir;
}

for (const kube of KUBE_VERSIONS) {
  t.test(`on ${kube}`, async (t) => {
    const objs = render({ chart: parentChart(t), kube });
    const deployments = findAll(objs, 'Deployment');
    t.same(
      deployments.map((d) => d.metadata.name),
      ['openai-proxy-myapp'],
      "only the parent's Deployment",
    );
    t.same(
      findAll(objs, 'ConfigMap').map((c) => c.metadata.name),
      ['openai-proxy'],
      "the proxy's config comes from the dependency",
    );
    const spec = deployments[0]!.spec.template.spec;
    const proxy = proxyContainer(spec);
    if (kube === '1.33') t.equal(spec.initContainers?.[0]?.restartPolicy, 'Always', 'native sidecar');
    else t.equal(spec.initContainers, undefined, 'regular container');
    t.equal(envOf(proxy).HOST, '127.0.0.1');
    const app = spec.containers.find((c: { name: string }) => c.name === 'myapp');
    t.equal(envOf(app).OPENAI_BASE_URL, 'http://127.0.0.1:18443/v1');
    t.same(
      spec.volumes.map((v: { name: string }) => v.name),
      ['openai-proxy-auth', 'openai-proxy-config'],
    );
    t.equal(spec.volumes[0].secret.secretName, 'openai-api-key');
    t.equal(spec.volumes[0].secret.defaultMode, 0o440, "the Secret's files: root's and the fsGroup's only");
    t.equal(spec.securityContext.fsGroup, 18443, "the parent's Pod gets the fsGroup through which the proxy reads them");
    t.match(proxy.securityContext, { runAsUser: 18443, runAsGroup: 18443 }, 'the proxy runs as its own UID and GID');
    t.equal(spec.volumes[1].configMap.name, 'openai-proxy');
    t.match(deployments[0]!.spec.template.metadata.annotations, { 'checksum/config': /^[0-9a-f]{64}$/ });
  });
}

t.test("keyless: the parent's Pods get the projected token volume, and no Secret at all", async (t) => {
  const keyless = `openai-proxy:
  mode: sidecar
  sidecar:
    deployment: false
  auth:
    clientAuth: none
  upstream:
    workloadIdentity: { enabled: true, identityProviderId: wip_1, serviceAccountId: svcacct_1 }
`;
  const objs = render({ chart: parentChart(t, keyless) });
  t.same(findAll(objs, 'Secret'), []);
  const spec = findAll(objs, 'Deployment')[0]!.spec.template.spec;
  t.same(
    spec.volumes.map((v: { name: string }) => v.name),
    ['openai-proxy-identity', 'openai-proxy-config'],
  );
  t.equal(spec.volumes[0].projected.sources[0].serviceAccountToken.audience, 'https://api.openai.com/v1');
  t.ok(
    proxyContainer(spec).volumeMounts.some((m: { name: string }) => m.name === 'openai-proxy-identity'),
    'mounted into the proxy',
  );
});
