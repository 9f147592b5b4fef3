/**
 * Lays a rendered Pod's files out on this machine the way the kubelet would, so the built proxy can run with
 * exactly the environment the chart gives its container.
 *
 *   layOutProxy(objs, root, existingSecrets?, serviceAccountToken?) -> { env, dirs }
 *     For each volume mounted into the proxy container: a Secret (rendered by the chart, or one of
 *     `existingSecrets`, name -> { entry: content }, standing in for Secrets the user creates), a ConfigMap, or
 *     a projected ServiceAccount token (`serviceAccountToken` is what the kubelet would write there)
 *     is written under `root` + mountPath in the kubelet's layout (`..data` symlink swap, see writeSecretDir).
 *     Every path that points into a mount, in the container's env and in the config file, is rewritten to
 *     the same place under `root`; nothing else is changed. `dirs` maps each mount's Secret or ConfigMap
 *     name to its directory, for tests that rotate a key.
 */
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { writeSecretDir } from '../helpers/tmp';
import { findAll, podSpec, proxyContainer, type K8sObject } from './helm';

type Files = Record<string, string>;

export interface ProxyLayout {
  env: Record<string, string>;
  dirs: Record<string, string>;
}

export function layOutProxy(objs: K8sObject[], root: string, existingSecrets: Record<string, Files> = {}, serviceAccountToken?: string): ProxyLayout {
  const spec = podSpec(objs);
  const proxy = proxyContainer(spec);
  const mounts: K8sObject[] = proxy.volumeMounts;
  const relocate = (value: string) =>
    mounts.some((m) => value === m.mountPath || value.startsWith(`${m.mountPath}/`)) ? join(root, value) : value;

  const dirs: Record<string, string> = {};
  for (const mount of mounts) {
    if (mount.subPath || mount.subPathExpr) throw new Error(`${mount.name} uses subPath: rotated keys would never arrive`);
    const volume = spec.volumes.find((v: K8sObject) => v.name === mount.name);
    if (!volume) throw new Error(`volume ${mount.name} is mounted but not defined`);
    const [source, files] = volumeFiles(volume, objs, existingSecrets, serviceAccountToken);
    for (const [name, content] of Object.entries(files)) {
      // The config file names key files by their in-Pod paths: those move with the mounts.
      if (name.endsWith('.yaml')) files[name] = stringify(relocateStrings(parse(content), relocate));
    }
    dirs[source] = join(root, mount.mountPath);
    writeSecretDir(dirs[source], files, 'v1');
  }

  const env: Record<string, string> = {};
  for (const e of proxy.env as K8sObject[]) {
    if (e.valueFrom) throw new Error(`${e.name} uses valueFrom, which this layout does not resolve`);
    env[e.name] = relocate(String(e.value));
  }
  return { env, dirs };
}

function volumeFiles(volume: K8sObject, objs: K8sObject[], existingSecrets: Record<string, Files>, serviceAccountToken?: string): [string, Files] {
  const tokenSource = volume.projected?.sources?.find((s: K8sObject) => s.serviceAccountToken)?.serviceAccountToken;
  if (tokenSource) {
    if (serviceAccountToken === undefined) throw new Error(`volume ${volume.name} projects a ServiceAccount token: give the test one`);
    return [volume.name, { [tokenSource.path]: serviceAccountToken }];
  }
  if (volume.secret) {
    const name: string = volume.secret.secretName;
    const rendered = findAll(objs, 'Secret').find((s) => s.metadata.name === name);
    if (rendered) {
      const data = Object.entries(rendered.data as Files).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]);
      return [name, Object.fromEntries(data)];
    }
    if (existingSecrets[name]) return [name, { ...existingSecrets[name] }];
    throw new Error(`Secret ${name} is neither rendered by the chart nor given to the test`);
  }
  if (volume.configMap) {
    const name: string = volume.configMap.name;
    const rendered = findAll(objs, 'ConfigMap').find((c) => c.metadata.name === name);
    if (!rendered) throw new Error(`ConfigMap ${name} is not rendered by the chart`);
    return [name, { ...(rendered.data as Files) }];
  }
  throw new Error(`volume ${volume.name} is neither a Secret, a ConfigMap nor a projected ServiceAccount token`);
}

function relocateStrings(value: unknown, relocate: (s: string) => string): unknown {
  if (typeof value === 'string') return relocate(value);
  if (Array.isArray(value)) return value.map((v) => relocateStrings(v, relocate));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocateStrings(v, relocate)]));
  }
  return value;
}
