// The image check runs the proxy container with the flags dockerCreateArgs derives from the rendered Pod spec.
// Here, without a Docker engine: those flags for the chart's service and sidecar Pods, and the refusals that
// keep a spec the translation does not understand from being run half-translated.
import t from 'tap';
import { podSpec, proxyContainer, render, type K8sObject } from '../chart/helm';
import { cpuCores, dockerCreateArgs, memoryBytes } from './docker-run';

const mounts = [{ hostPath: '/tmp/pod/keys', mountPath: '/var/run/secrets/openai-proxy/auth', readOnly: true }];
const pairs = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

t.test('service mode: the restricted security context, the memory limit, the env and the mounts', async (t) => {
  const spec = podSpec(render({ values: ['chart/ci/service-values.yaml'] }));
  const container = proxyContainer(spec);
  const args = dockerCreateArgs(spec, container, { name: 'p', mounts });
  t.same(pairs(args, '--user'), ['18443:18443']);
  t.same(pairs(args, '--group-add'), ['18443'], "the Pod's fsGroup, which the Secret files (0440) belong to");
  t.ok(args.includes('--read-only'), 'read-only root');
  t.same(pairs(args, '--cap-drop'), ['ALL']);
  t.same(pairs(args, '--security-opt'), ['no-new-privileges'], 'no privilege escalation; RuntimeDefault seccomp is the engine default');
  t.same(pairs(args, '--memory'), [String(256 * 2 ** 20)]);
  t.same(pairs(args, '--memory-swap'), [String(256 * 2 ** 20)], 'no swap beyond the limit');
  t.same(pairs(args, '--cpu-shares'), ['51'], '50m requested');
  t.same(pairs(args, '--stop-timeout'), [String(spec.terminationGracePeriodSeconds)]);
  t.same(pairs(args, '--volume'), ['/tmp/pod/keys:/var/run/secrets/openai-proxy/auth:ro']);
  const env = pairs(args, '--env');
  t.same(
    env,
    container.env.map((e: { name: string; value: string }) => `${e.name}=${e.value}`),
    'every env entry, as rendered',
  );
  t.equal(args.at(-1), container.image, "the image's own command: the chart sets none");
});

t.test('command and args replace the entrypoint and the command, as in Kubernetes', async (t) => {
  const spec = podSpec(render({ values: ['chart/ci/sidecar-values.yaml'] }));
  const container: K8sObject = { ...proxyContainer(spec), command: ['node', '--max-old-space-size=64'], args: ['dist/main.js'] };
  const args = dockerCreateArgs(spec, container, { name: 'p', mounts: [] });
  t.same(pairs(args, '--entrypoint'), ['node']);
  t.same(args.slice(-3), [container.image, '--max-old-space-size=64', 'dist/main.js']);
});

t.test('what the kubelet would refuse or the translation does not know fails loudly', async (t) => {
  const spec = podSpec(render({ values: ['chart/ci/service-values.yaml'] }));
  const container = proxyContainer(spec);
  const nonRoot = { ...container, securityContext: { ...container.securityContext, runAsUser: undefined, runAsGroup: undefined } };
  delete nonRoot.securityContext.runAsUser;
  delete nonRoot.securityContext.runAsGroup;
  t.throws(() => dockerCreateArgs(spec, nonRoot, { name: 'p', mounts: [], imageUser: 'node' }), /runAsNonRoot/, 'a named image user cannot be proven non-root');
  t.doesNotThrow(() => dockerCreateArgs(spec, nonRoot, { name: 'p', mounts: [], imageUser: '18443:18443' }), 'a numeric one can');
  t.throws(() => dockerCreateArgs(spec, { ...container, envFrom: [{ secretRef: { name: 'x' } }] }, { name: 'p', mounts: [] }), /envFrom/);
  t.throws(
    () => dockerCreateArgs({ ...spec, securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] } }, container, { name: 'p', mounts: [] }),
    /sysctls/,
  );
  const fromSecret = { ...container, env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] };
  t.throws(() => dockerCreateArgs(spec, fromSecret, { name: 'p', mounts: [] }), /valueFrom/);
});

t.test('Kubernetes quantities', async (t) => {
  t.equal(memoryBytes('256Mi'), 268435456);
  t.equal(memoryBytes('1G'), 1e9);
  t.equal(memoryBytes(1048576), 1048576);
  t.throws(() => memoryBytes('1 Gi'));
  t.equal(cpuCores('250m'), 0.25);
  t.equal(cpuCores('2'), 2);
});
