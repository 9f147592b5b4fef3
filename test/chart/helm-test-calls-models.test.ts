// `helm test` used to fetch /health only, which proves neither the key wiring nor the egress. Its Pod now
// calls GET /v1/models through the proxy with a client key and fails on anything but 200. The rendered Pod
// is run for real: its command, with its mounts laid out as the kubelet would, against the real built
// proxy (service mode: the rendered proxy Pod; sidecar mode: the proxy the check starts with the sidecar's
// settings) and a fake OpenAI that the chart's own upstream.baseUrl points at.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { handlers, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { leaksIn } from '../helpers/keys';
import { CA_PEM, REPO_ROOT, randomKey, startProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { find, render, type K8sObject } from './helm';
import { layOutContainer, layOutProxy } from './pod-layout';

interface Run {
  code: number | null;
  output: string;
}

/** Runs the test Pod's one container: its command, its env (PORT and ADMIN_PORT at 0), its files under `root`. */
function runCheck(objs: K8sObject[], root: string, url?: string): Promise<Run> {
  const pod = find(objs, 'Pod');
  const [check] = pod.spec.containers;
  const layout = layOutContainer(objs, pod, check, root);
  const [node, ...args] = check.command as string[];
  if (node !== 'node') throw new Error(`the check runs ${node}, not node`);
  // Service mode: the Service's cluster DNS name becomes the proxy's address here; file paths move with the mounts.
  const argv = args.map((arg, i) => (i === 2 && url ? url : layout.relocate(arg)));
  const env = { PATH: process.env.PATH!, NODE_EXTRA_CA_CERTS: CA_PEM, ...layout.env, ...(check.env ? { PORT: '0', ADMIN_PORT: '0' } : {}) };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

function valuesFile(t: Test, values: object): string {
  const path = join(tempDir(t), 'values.yaml');
  writeFileSync(path, stringify(values));
  return path;
}

const noKeys = (t: Test, run: Run, keys: string[]) => t.same(leaksIn([['the check output', run.output]], keys), [], 'no key in what the check prints');

t.test('service mode: through the Service, with the client key alone', async (t) => {
  const upstream: FakeUpstream = await startFakeUpstream({ t });
  const keys = { upstream: randomKey('sk-test-upstream'), client: randomKey('client-key') };
  const values = valuesFile(t, { auth: { create: true, openaiApiKey: keys.upstream, proxyApiKey: keys.client }, upstream: { baseUrl: `${upstream.url}/v1` } });
  const objs = render({ values: [values] });
  const pod = find(objs, 'Pod');
  t.same(pod.spec.volumes[0].secret.items, [{ key: 'proxy-api-key', path: 'client-key' }], 'only the client key is mounted, not the upstream key');

  const dir = tempDir(t);
  const proxy = await startProxy(t, { env: { ...layOutProxy(objs, join(dir, 'proxy')).env, PORT: '0', ADMIN_PORT: '0' } });
  const ok = await runCheck(objs, join(dir, 'check'), proxy.url);
  t.equal(ok.code, 0, 'a 200 passes');
  t.match(ok.output, /GET http:\/\/127\.0\.0\.1:\d+\/v1\/models: 200/);
  const seen = upstream.lastRequest()!;
  t.equal(`${seen.method} ${seen.url}`, 'GET /v1/models', 'it went through to the upstream');
  t.ok(seen.headers.authorization === `Bearer ${keys.upstream}`, "with the Secret's upstream key");

  upstream.handle = handlers.openaiError(401, 'invalid_api_key');
  const refused = await runCheck(objs, join(dir, 'check-401'), proxy.url);
  t.equal(refused.code, 1, 'an upstream 401 (a wrong upstream key) fails the test');
  t.match(refused.output, /: 401 "invalid_api_key"/);

  const down = await runCheck(objs, join(dir, 'check-down'), 'http://127.0.0.1:1');
  t.equal(down.code, 1, 'a proxy that cannot be reached fails the test');
  for (const run of [ok, refused, down]) noKeys(t, run, Object.values(keys));
});

t.test('sidecar mode with a client key: the check runs the sidecar proxy beside itself', async (t) => {
  const upstream = await startFakeUpstream({ t });
  const keys = { upstream: randomKey('sk-test-upstream'), client: randomKey('client-key') };
  const values = valuesFile(t, {
    mode: 'sidecar',
    auth: { create: true, openaiApiKey: keys.upstream, proxyApiKey: keys.client },
    upstream: { baseUrl: upstream.url },
    sidecar: { app: { image: 'registry.example.com/myapp:1.0.0' } },
  });
  const objs = render({ values: [values] });
  const dir = tempDir(t);
  const ok = await runCheck(objs, join(dir, 'ok'));
  t.equal(ok.code, 0, `a 200 passes (${ok.output.slice(-300)})`);
  t.ok(upstream.lastRequest()!.headers.authorization === `Bearer ${keys.upstream}`, "the upstream got the Secret's upstream key");
  t.match(ok.output, /"event":"listening"/, "the proxy's own log is in the test output");

  upstream.handle = handlers.openaiError(500, 'server_error');
  const failed = await runCheck(objs, join(dir, 'failed'));
  t.equal(failed.code, 1, 'anything but a 200 fails');
  for (const run of [ok, failed]) noKeys(t, run, Object.values(keys));
});

t.test('sidecar mode without a client key', async (t) => {
  const upstream = await startFakeUpstream({ t });
  const upstreamKey = randomKey('sk-test-upstream');
  const values = valuesFile(t, {
    mode: 'sidecar',
    auth: { create: true, openaiApiKey: upstreamKey, clientAuth: 'none' },
    upstream: { baseUrl: upstream.url },
    sidecar: { app: { image: 'registry.example.com/myapp:1.0.0' } },
  });
  const run = await runCheck(render({ values: [values] }), tempDir(t));
  t.equal(run.code, 0, run.output.slice(-300));
  t.equal(upstream.lastRequest()?.url, '/v1/models');
  noKeys(t, run, [upstreamKey]);
});
