/**
 * A rendered Pod's proxy container as `docker create` arguments: what the kubelet would give the container,
 * said in Docker's words. Pure, so `make test` checks the translation without a Docker engine.
 *
 *   dockerCreateArgs(spec, container, opts) -> string[]   everything after `docker create`
 *     spec: the Pod spec (its securityContext and terminationGracePeriodSeconds apply to the container)
 *     opts.name: the container's name; opts.image: the image reference (default: the container's own);
 *     opts.imageUser: the image's USER, for the kubelet's runAsNonRoot check when runAsUser is unset;
 *     opts.mounts: the laid-out volumes (pod-layout.ts), bind-mounted at their mountPath
 *   memoryBytes(quantity), cpuCores(quantity): Kubernetes quantities as numbers
 *
 * A field this translation does not know throws instead of being skipped, so a chart change that the
 * container would not get fails the image check rather than passing it untested. The network is always the
 * host's (this machine has no other), where the Pod has its own; the driver picks ports accordingly.
 */
import type { K8sObject } from '../chart/helm';
import type { VolumeMount } from '../chart/pod-layout';

export interface CreateOptions {
  name: string;
  image?: string;
  imageUser?: string;
  mounts: VolumeMount[];
}

// Used by the driver (probes, preStop, ports, restartPolicy of a native sidecar), not by the runtime flags.
const DRIVER_FIELDS = [
  'name',
  'image',
  'imagePullPolicy',
  'restartPolicy',
  'ports',
  'startupProbe',
  'livenessProbe',
  'readinessProbe',
  'lifecycle',
  'volumeMounts',
];
const RUNTIME_FIELDS = ['env', 'command', 'args', 'workingDir', 'resources', 'securityContext'];
const POD_SECURITY_FIELDS = ['runAsNonRoot', 'runAsUser', 'runAsGroup', 'seccompProfile', 'supplementalGroups', 'fsGroup'];
const CONTAINER_SECURITY_FIELDS = [
  'runAsNonRoot',
  'runAsUser',
  'runAsGroup',
  'seccompProfile',
  'allowPrivilegeEscalation',
  'readOnlyRootFilesystem',
  'capabilities',
  'privileged',
];
// The kubelet's default: SIGTERM, then SIGKILL 30 s later.
const DEFAULT_GRACE_SECONDS = 30;

export function dockerCreateArgs(spec: K8sObject, container: K8sObject, opts: CreateOptions): string[] {
  refuseUnknown(`container ${container.name}`, container, [...DRIVER_FIELDS, ...RUNTIME_FIELDS]);
  const grace = spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  const args = ['--name', opts.name, '--network', 'host', '--stop-timeout', String(grace)];
  args.push(...securityArgs(spec.securityContext ?? {}, container.securityContext ?? {}, opts.imageUser));
  args.push(...resourceArgs(container.resources ?? {}));
  if (container.workingDir) args.push('--workdir', container.workingDir);
  for (const e of (container.env ?? []) as K8sObject[]) {
    if (e.valueFrom) throw new Error(`env ${e.name}: valueFrom is not translated`);
    args.push('--env', `${e.name}=${e.value ?? ''}`);
  }
  for (const m of opts.mounts) args.push('--volume', `${m.hostPath}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
  const [entrypoint, ...commandRest] = (container.command ?? []) as string[];
  if (entrypoint !== undefined) args.push('--entrypoint', entrypoint);
  return [...args, opts.image ?? container.image, ...commandRest, ...((container.args ?? []) as string[])];
}

function securityArgs(pod: K8sObject, own: K8sObject, imageUser: string | undefined): string[] {
  refuseUnknown('Pod securityContext', pod, POD_SECURITY_FIELDS);
  refuseUnknown('container securityContext', own, CONTAINER_SECURITY_FIELDS);
  if (own.privileged) throw new Error('a privileged container is not translated');
  const ctx = { ...pod, ...own };
  const args: string[] = [];
  const user = ctx.runAsUser ?? imageUser;
  if (ctx.runAsNonRoot && !isNonRootUid(user)) {
    // The kubelet refuses to start it: it cannot prove a name like "node" is not root.
    throw new Error(`runAsNonRoot: the user ${JSON.stringify(user ?? '')} is not a numeric non-zero UID`);
  }
  if (ctx.runAsUser !== undefined) args.push('--user', ctx.runAsGroup !== undefined ? `${ctx.runAsUser}:${ctx.runAsGroup}` : String(ctx.runAsUser));
  else if (ctx.runAsGroup !== undefined) throw new Error('runAsGroup without runAsUser is not translated');
  // The kubelet gives every container the fsGroup as a supplementary group, beside supplementalGroups; the
  // volumes' files are laid out with its ownership (pod-layout.ts).
  for (const gid of [...((pod.supplementalGroups ?? []) as number[]), ...(pod.fsGroup !== undefined ? [pod.fsGroup] : [])])
    args.push('--group-add', String(gid));
  if (ctx.readOnlyRootFilesystem) args.push('--read-only');
  if (ctx.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  for (const cap of (ctx.capabilities?.drop ?? []) as string[]) args.push('--cap-drop', cap);
  for (const cap of (ctx.capabilities?.add ?? []) as string[]) args.push('--cap-add', cap);
  args.push(...seccompArgs(ctx.seccompProfile));
  return args;
}

function isNonRootUid(user: unknown): boolean {
  const uid = String(user ?? '').split(':')[0]!;
  return /^\d+$/.test(uid) && Number(uid) !== 0;
}

function seccompArgs(profile: K8sObject | undefined): string[] {
  // Docker applies its default profile, as containerd does for RuntimeDefault; Kubernetes' own default
  // (no profile given) is Unconfined.
  if (profile?.type === 'RuntimeDefault') return [];
  if (profile === undefined || profile.type === 'Unconfined') return ['--security-opt', 'seccomp=unconfined'];
  throw new Error(`seccompProfile ${profile.type} is not translated`);
}

function resourceArgs(resources: K8sObject): string[] {
  const args: string[] = [];
  const memory = resources.limits?.memory;
  // The kubelet runs without swap: the memory limit is all the container gets.
  if (memory !== undefined) args.push('--memory', String(memoryBytes(memory)), '--memory-swap', String(memoryBytes(memory)));
  if (resources.limits?.cpu !== undefined) args.push('--cpus', String(cpuCores(resources.limits.cpu)));
  // The kubelet's cpu.shares for a request: 1024 per core, at least 2.
  if (resources.requests?.cpu !== undefined) args.push('--cpu-shares', String(Math.max(2, Math.round(cpuCores(resources.requests.cpu) * 1024))));
  return args;
}

const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 } as Record<string, number>;
const DECIMAL = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 } as Record<string, number>;

export function memoryBytes(quantity: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!m) throw new Error(`memory quantity ${JSON.stringify(quantity)} is not understood`);
  const unit = m[2] ? (BINARY[m[2]] ?? DECIMAL[m[2]]!) : 1;
  return Math.ceil(Number(m[1]) * unit);
}

export function cpuCores(quantity: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(String(quantity));
  if (!m) throw new Error(`cpu quantity ${JSON.stringify(quantity)} is not understood`);
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

function refuseUnknown(where: string, obj: K8sObject, known: string[]): void {
  const unknown = Object.keys(obj).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`${where}: ${unknown.join(', ')} not translated to docker flags`);
}
