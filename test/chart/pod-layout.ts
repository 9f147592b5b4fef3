/**
 * Lays a rendered Pod's files out on this machine the way the kubelet would, so the built proxy can run with
 * exactly the environment the chart gives its container.
 *
 *   layOutProxy(objs, root, existing?, opts?) -> { env, dirs, mounts }
 *     For each volume mounted into the proxy container: a Secret or a ConfigMap (rendered by the chart, or one
 *     of `existing`, name -> { entry: content }, standing in for the Secrets and ConfigMaps the user creates),
 *     or a projected ServiceAccount token (`opts.serviceAccountToken` is what the kubelet would write there; a
 *     projected volume with more sources, such as the cluster CA, is `existing[volumeName]` instead)
 *     is written under `root` + mountPath in the kubelet's layout (`..data` symlink swap, see writeSecretDir),
 *     with the volume's `defaultMode` (the kubelet's 0644 when unset), owned by root and the Pod's fsGroup when
 *     it has one (fsGroupMode; when this runs as root). A projected token gets the kubelet's mode and owner
 *     instead (tokenFileMode). `dirs` maps each mount's Secret or ConfigMap name (a projected
 *     volume's own name) to its directory; `rewrite(name, files)` swaps new contents in there with the same mode
 *     and owner, as the kubelet does on a Secret update or a token rotation; `mounts` lists each directory with
 *     the container path it is mounted at (what a container runtime bind-mounts).
 *     opts.relocate (default true) is for running the proxy as a plain process: every path that points into a
 *     mount, in the container's env and in the config file, is rewritten to the same place under `root`.
 *     With relocate: false nothing is rewritten, for a container that sees the directories at their mountPath.
 *     `relocate(path)` is that rewriting, for other strings (a command's arguments).
 *   layOutPod(pod, objs, root, existing?, opts?) -> the same for a whole Pod (metadata and spec), such as one the
 *     injector patched; its downwardAPI volumes hold the Pod's annotations
 *   layOutContainer(objs, pod, container, root, existing?, opts?) -> the same for any container of a Pod
 *     (the helm test Pod's, for one). A Secret volume's `items` are honoured: only those entries, under their `path`.
 */
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { writeSecretDir, type FileOwner } from '../helpers/tmp';
import { findAll, podSpec, proxyContainer, type K8sObject } from './helm';

type Files = Record<string, string>;

// The kubelet writes Secret, ConfigMap and projected files 0644 unless the volume says otherwise.
const KUBELET_DEFAULT_MODE = 0o644;

export interface VolumeMount {
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
}

export interface ProxyLayout {
  env: Record<string, string>;
  dirs: Record<string, string>;
  mounts: VolumeMount[];
  rewrite(source: string, files: Files): void;
  relocate(path: string): string;
}

export interface LayoutOptions {
  relocate?: boolean;
  serviceAccountToken?: string;
}

export function layOutProxy(objs: K8sObject[], root: string, existing: Record<string, Files> = {}, opts: LayoutOptions = {}): ProxyLayout {
  return layOutPod({ metadata: {}, spec: podSpec(objs) }, objs, root, existing, opts);
}

/**
 * The same for any Pod, e.g. one the injector patched: a downwardAPI volume's files are the Pod's own
 * annotations (`metadata.annotations['name']`), as the kubelet writes them.
 */
export function layOutPod(pod: K8sObject, objs: K8sObject[], root: string, existing: Record<string, Files> = {}, opts: LayoutOptions = {}): ProxyLayout {
  return layOutContainer(objs, pod, proxyContainer(pod.spec), root, existing, opts);
}

/** The same for any container of a Pod (`metadata` and `spec`): the helm test Pod's, for one. */
export function layOutContainer(
  objs: K8sObject[],
  pod: K8sObject,
  container: K8sObject,
  root: string,
  existing: Record<string, Files> = {},
  opts: LayoutOptions = {},
): ProxyLayout {
  const spec = pod.spec;
  const mounts: K8sObject[] = container.volumeMounts ?? [];
  const inMount = (value: string) => mounts.some((m) => value === m.mountPath || value.startsWith(`${m.mountPath}/`));
  const moving = opts.relocate !== false;
  const relocate = (value: string) => (moving && inMount(value) ? join(root, value) : value);

  const dirs: Record<string, string> = {};
  const written: Record<string, { mode: number; owner?: FileOwner; version: number }> = {};
  const laidOut: VolumeMount[] = [];
  for (const mount of mounts) {
    if (mount.subPath || mount.subPathExpr) throw new Error(`${mount.name} uses subPath: rotated keys would never arrive`);
    const volume = spec.volumes.find((v: K8sObject) => v.name === mount.name);
    if (!volume) throw new Error(`volume ${mount.name} is mounted but not defined`);
    const [source, files, defaultMode] = volumeFiles(pod, volume, objs, existing, opts.serviceAccountToken);
    const { mode, owner } = volume.projected ? tokenFileMode(spec, defaultMode) : fsGroupMode(spec, defaultMode);
    for (const [name, content] of Object.entries(files)) {
      // The config file names key files by their in-Pod paths: those move with the mounts.
      if (moving && name.endsWith('.yaml')) files[name] = stringify(relocateStrings(parse(content), relocate));
    }
    dirs[source] = join(root, mount.mountPath);
    writeSecretDir(dirs[source], files, 'v1', mode, owner);
    written[source] = { mode, owner, version: 1 };
    laidOut.push({ hostPath: dirs[source], mountPath: mount.mountPath, readOnly: mount.readOnly === true });
  }

  const env: Record<string, string> = {};
  for (const e of (container.env ?? []) as K8sObject[]) {
    if (e.valueFrom) throw new Error(`${e.name} uses valueFrom, which this layout does not resolve`);
    env[e.name] = relocate(String(e.value));
  }
  const rewrite = (source: string, files: Files) => {
    const w = written[source];
    if (!w) throw new Error(`${source} is not mounted into the container`);
    writeSecretDir(dirs[source]!, files, `v${++w.version}`, w.mode, w.owner);
  };
  return { env, dirs, mounts: laidOut, rewrite, relocate };
}

/**
 * The kubelet's rule for a projected ServiceAccount token (pkg/volume/projected): when every container of the
 * Pod runs as the same user, or the Pod has an fsGroup, the token is 0600 and owned by that user (0640 and
 * the fsGroup's, with an fsGroup); otherwise it keeps the volume's mode. Ownership is only applied when this
 * runs as root, as the kubelet does; a process run as the test's own user reads its own files anyway.
 */
function tokenFileMode(spec: K8sObject, defaultMode: number): { mode: number; owner?: FileOwner } {
  const containers: K8sObject[] = [...(spec.initContainers ?? []), ...spec.containers];
  const users = new Set(containers.map((c) => c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser));
  const fsUser = users.size === 1 ? [...users][0] : undefined;
  const fsGroup: number | undefined = spec.securityContext?.fsGroup;
  if (fsUser === undefined && fsGroup === undefined) return { mode: defaultMode };
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? { uid: fsUser ?? 0, gid: fsGroup ?? 0 } : undefined;
  return { mode: fsGroup === undefined ? 0o600 : 0o640, owner };
}

/**
 * The kubelet's rule for Secret, ConfigMap and downward API files: owned by root, and with an fsGroup by that
 * group, which also gets read (pkg/volume SetVolumeOwnership, read-only volumes). Ownership is only applied when
 * this runs as root, as for tokens; as root without an fsGroup the files are root's, as the kubelet's are.
 */
function fsGroupMode(spec: K8sObject, defaultMode: number): { mode: number; owner?: FileOwner } {
  const fsGroup: number | undefined = spec.securityContext?.fsGroup ?? undefined;
  if (fsGroup === undefined) return { mode: defaultMode };
  return { mode: defaultMode | 0o440, owner: process.getuid?.() === 0 ? { uid: 0, gid: fsGroup } : undefined };
}

function volumeFiles(
  pod: K8sObject,
  volume: K8sObject,
  objs: K8sObject[],
  existing: Record<string, Files>,
  serviceAccountToken?: string,
): [string, Files, number] {
  const mode: number = (volume.secret ?? volume.configMap ?? volume.projected ?? volume.downwardAPI)?.defaultMode ?? KUBELET_DEFAULT_MODE;
  const source = volume.downwardAPI ? downwardFiles(volume, pod) : volumeSource(volume, objs, existing, serviceAccountToken);
  return [...source, mode];
}

function downwardFiles(volume: K8sObject, pod: K8sObject): [string, Files] {
  const files: Files = {};
  for (const item of volume.downwardAPI.items as K8sObject[]) {
    const name = /^metadata\.annotations\['(.+)'\]$/.exec(item.fieldRef?.fieldPath ?? '')?.[1];
    if (!name) throw new Error(`downwardAPI item ${item.path}: only annotations are laid out`);
    files[item.path] = pod.metadata.annotations?.[name] ?? '';
  }
  return [volume.name, files];
}

function volumeSource(volume: K8sObject, objs: K8sObject[], existing: Record<string, Files>, serviceAccountToken?: string): [string, Files] {
  // A projected volume with more than a token in it (the proxy's own API token and the cluster CA): the test
  // gives all of its files, by volume name.
  if (volume.projected && existing[volume.name]) return [volume.name, { ...existing[volume.name] }];
  const tokenSource = volume.projected?.sources?.find((s: K8sObject) => s.serviceAccountToken)?.serviceAccountToken;
  if (tokenSource) {
    if (serviceAccountToken === undefined) throw new Error(`volume ${volume.name} projects a ServiceAccount token: give the test one`);
    return [volume.name, { [tokenSource.path]: serviceAccountToken }];
  }
  if (volume.secret) {
    const name: string = volume.secret.secretName;
    return [name, selectItems(volume.secret.items, secretData(name, objs, existing))];
  }
  if (volume.configMap) {
    const name: string = volume.configMap.name;
    const rendered = findAll(objs, 'ConfigMap').find((c) => c.metadata.name === name);
    if (rendered) return [name, { ...(rendered.data as Files) }];
    if (existing[name]) return [name, { ...existing[name] }];
    throw new Error(`ConfigMap ${name} is neither rendered by the chart nor given to the test`);
  }
  throw new Error(`volume ${volume.name} is neither a Secret, a ConfigMap nor a projected ServiceAccount token`);
}

function secretData(name: string, objs: K8sObject[], existing: Record<string, Files>): Files {
  const rendered = findAll(objs, 'Secret').find((s) => s.metadata.name === name);
  if (rendered) return Object.fromEntries(Object.entries(rendered.data as Files).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  if (existing[name]) return { ...existing[name] };
  throw new Error(`Secret ${name} is neither rendered by the chart nor given to the test`);
}

/** A volume's `items`: only the entries named, each under its `path`, as the kubelet mounts them. */
function selectItems(items: K8sObject[] | undefined, files: Files): Files {
  if (!items) return files;
  return Object.fromEntries(
    items.map((item) => {
      if (!(item.key in files)) throw new Error(`the Secret has no entry ${item.key}`);
      return [item.path, files[item.key]!];
    }),
  );
}

function relocateStrings(value: unknown, relocate: (s: string) => string): unknown {
  if (typeof value === 'string') return relocate(value);
  if (Array.isArray(value)) return value.map((v) => relocateStrings(v, relocate));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocateStrings(v, relocate)]));
  }
  return value;
}
