/**
 * What the image check asserts about a running Pod (pod.ts), one function per behaviour:
 *
 *   checkRuntime(t, pod)     the kernel's view of the container matches the rendered spec: UID/GID and the
 *                            fsGroup among its groups, no capabilities, no_new_privs, seccomp, the memory
 *                            limit, a read-only root
 *   checkSecretFiles(t, pod) each file of its Secret volumes has the kubelet's mode and owner (0440, root and
 *                            the fsGroup) and the proxy's user reads it
 *   checkProbes(t, pod)      every probe of the container answers 200 where the spec points it
 *   checkRequests(t, pod)    the openai SDK through the proxy: a chat completion and a stream; /metrics counts them
 *   checkRotation(t, pod)    a kubelet-style `..data` swap of the scenario's Secret (or projected token) takes
 *                            effect without a restart; later checks send the new client key
 *   measureIdle(pod)         the container's memory at rest: cgroup working set and usage, node's RSS (all, anonymous)
 */
import OpenAI from 'openai';
import type { Test } from 'tap';
import { sleep } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import type { K8sObject } from '../chart/helm';
import { memoryBytes } from './docker-run';
import { cgroupMemory, docker, inspect, processStatus, rss } from './docker';
import type { RunningPod } from './pod';

const PROBES = ['startupProbe', 'livenessProbe', 'readinessProbe'] as const;
const CHAT = { model: 'gpt-4.1-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

export const containerPid = async (pod: RunningPod): Promise<number> => (await inspect(pod.name)).State.Pid;

export async function checkRuntime(t: Test, pod: RunningPod): Promise<void> {
  const ctx = { ...pod.spec.securityContext, ...pod.container.securityContext };
  const status = processStatus(await containerPid(pod));
  t.equal(status.Uid!.split(/\s+/)[0], String(ctx.runAsUser), `runs as UID ${ctx.runAsUser}`);
  t.equal(status.Gid!.split(/\s+/)[0], String(ctx.runAsGroup), `and GID ${ctx.runAsGroup}`);
  const fsGroup = pod.spec.securityContext?.fsGroup;
  if (fsGroup !== undefined) t.ok(status.Groups!.split(/\s+/).includes(String(fsGroup)), `in the Pod's fsGroup ${fsGroup}, as the kubelet adds it`);
  if ((ctx.capabilities?.drop ?? []).includes('ALL')) t.match(status.CapEff, /^0+$/, 'with no capability at all');
  if (ctx.allowPrivilegeEscalation === false) t.equal(status.NoNewPrivs, '1', 'no_new_privs is set');
  if (ctx.seccompProfile?.type === 'RuntimeDefault') t.equal(status.Seccomp, '2', 'under a seccomp filter');
  const limit = pod.container.resources?.limits?.memory;
  if (limit) t.equal(cgroupMemory(await containerPid(pod)).limit, memoryBytes(limit), `the cgroup holds it to ${limit}`);
  if (ctx.readOnlyRootFilesystem) {
    const write = await docker(['exec', pod.name, 'node', '-e', "require('fs').writeFileSync('/app/probe', 'x')"]).then(
      () => 'written',
      (e: Error) => e.message,
    );
    t.match(write, /EROFS/, 'the root filesystem is read-only');
  }
}

export async function checkSecretFiles(t: Test, pod: RunningPod): Promise<void> {
  const fsGroup: number | undefined = pod.spec.securityContext?.fsGroup;
  const mounts = ((pod.container.volumeMounts ?? []) as K8sObject[])
    .map((m) => ({ mountPath: m.mountPath as string, secret: pod.spec.volumes.find((v: K8sObject) => v.name === m.name)?.secret }))
    .filter((m) => m.secret);
  if (mounts.length === 0) t.pass('no Secret volume');
  for (const { mountPath, secret } of mounts) {
    // The kubelet's rule: the volume's mode, plus the group's read with an fsGroup; owned by root and the fsGroup.
    const mode = ((secret.defaultMode ?? 0o644) as number) | (fsGroup === undefined ? 0 : 0o440);
    // Run as the container's user: reading each file is the proof that the proxy can. Only names and modes are printed.
    const script = `const fs = require('fs'); const d = ${JSON.stringify(mountPath)};
      for (const n of fs.readdirSync(d).filter((n) => !n.startsWith('..'))) {
        const s = fs.statSync(d + '/' + n); fs.readFileSync(d + '/' + n);
        console.log(JSON.stringify({ n, mode: s.mode & 0o777, uid: s.uid, gid: s.gid }));
      }`;
    const files = (await docker(['exec', pod.name, 'node', '-e', script]))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    t.ok(files.length > 0, `${mountPath} holds files`);
    for (const f of files) {
      const expected = { mode, uid: 0, gid: fsGroup ?? 0 };
      t.same({ mode: f.mode, uid: f.uid, gid: f.gid }, expected, `${mountPath}/${f.n}: 0${mode.toString(8)}, root:${fsGroup ?? 0}, read by the proxy's user`);
    }
  }
}

export async function checkProbes(t: Test, pod: RunningPod): Promise<void> {
  for (const kind of PROBES) {
    const probe = pod.container[kind];
    if (!probe) continue;
    if (!probe.httpGet) throw new Error(`${kind}: only httpGet probes are run here`);
    const port = probePort(pod.container, probe.httpGet.port);
    const res = await request(`http://127.0.0.1:${port}${probe.httpGet.path}`);
    t.equal(res.status, 200, `${kind} GET ${probe.httpGet.path} on port ${probe.httpGet.port} (${port})`);
  }
}

function probePort(container: K8sObject, port: string | number): number {
  if (typeof port === 'number') return port;
  const named = (container.ports ?? []).find((p: K8sObject) => p.name === port);
  if (!named) throw new Error(`probe port ${port} is not a port of the container`);
  return named.containerPort;
}

export const sdk = (pod: RunningPod, apiKey = pod.apiKey) => new OpenAI({ baseURL: pod.baseURL, apiKey, maxRetries: 0 });

export async function checkRequests(t: Test, pod: RunningPod): Promise<void> {
  const { upstream } = pod;
  t.equal((await request(`${pod.baseURL.replace(/\/v1$/, '')}/health`)).status, 200, '/health on the proxy port');
  const chat = await sdk(pod).chat.completions.create(CHAT);
  t.equal(chat.choices[0]?.message.content, 'Hello from the fake upstream.', 'a chat completion through the container');
  t.ok(
    pod.sentWith('first', upstream.lastRequest()!.headers.authorization),
    pod.tokens ? "with an access token for the Pod's projected token" : "with the Secret's upstream key",
  );

  let chunks = 0;
  for await (const chunk of await sdk(pod).chat.completions.create({ ...CHAT, stream: true })) chunks += chunk.choices.length;
  t.ok(chunks > 2, `a stream through the container (${chunks} chunks)`);

  if (pod.scenario.clientKey || pod.scenario.callerToken) {
    const before = upstream.requests.length;
    const denied = await request(`${pod.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify(CHAT) });
    t.equal(denied.status, 401, `no ${pod.scenario.clientKey ? 'client key' : 'ServiceAccount token'}: 401`);
    t.equal(upstream.requests.length, before, 'and nothing went upstream');
  }
  const metrics = (await request(`${pod.adminUrl}/metrics`)).text;
  const counted = metrics
    .split('\n')
    .filter((l) => l.startsWith('openai_proxy_requests_total{') && l.includes('endpoint="/v1/chat/completions"') && l.includes('status="200"'));
  t.equal(
    counted.map((l) => Number(l.split(' ').pop())).reduce((a, b) => a + b, 0),
    2,
    '/metrics counts both requests',
  );
}

export async function checkRotation(t: Test, pod: RunningPod): Promise<void> {
  const { secret, files } = pod.scenario.rotate(pod.keys);
  const pid = await containerPid(pod);
  pod.rewrite(secret, files);
  const apiKey = pod.scenario.clientKey ? pod.keys.clientNext : pod.apiKey;
  const usedNext = () => pod.sentWith('next', pod.upstream.lastRequest()?.headers.authorization);
  const deadline = Date.now() + 15_000;
  let status = 0;
  while (Date.now() < deadline && (status !== 200 || !usedNext())) {
    status = await statusOf(sdk(pod, apiKey).models.list());
    if (status !== 200 || !usedNext()) await sleep(250);
  }
  t.equal(status, 200, `after the ..data swap of ${secret}, ${pod.scenario.clientKey ? 'the new client key' : 'a request'} works`);
  t.ok(usedNext(), pod.tokens ? 'with an access token for the rotated projected token' : 'with the new upstream key');
  if (pod.scenario.clientKey) {
    const kept = files['proxy-api-key']!.includes(pod.keys.client);
    t.equal(await statusOf(sdk(pod).models.list()), kept ? 200 : 401, kept ? 'the old client key, still listed, works' : 'the replaced client key is refused');
  }
  t.equal(await containerPid(pod), pid, 'same process: no restart');
  pod.apiKey = apiKey;
}

/** The HTTP status an SDK call ended with. */
const statusOf = (call: Promise<unknown>): Promise<number> =>
  call.then(
    () => 200,
    (e: { status?: number }) => e.status ?? 0,
  );

export async function measureIdle(pod: RunningPod, settleMs = 1000): Promise<{ workingSet: number; usage: number; rss: number; rssAnon: number }> {
  await sleep(settleMs);
  const pid = await containerPid(pod);
  const { workingSet, usage } = cgroupMemory(pid);
  return { workingSet, usage, ...rss(pid) };
}
