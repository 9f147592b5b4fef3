import { isRecord } from '../config/checks';
import type { EnvVar, KubeObject, SidecarVariant } from './template';

/** Only `add` is ever needed: the injector inserts and never removes or rewrites what the Pod has. */
export interface PatchOperation {
  op: 'add';
  path: string;
  value: unknown;
}

/** RFC 6901: `~` and `/` inside a key are written `~0` and `~1` (an annotation name holds a `/`). */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The JSONPatch that adds the sidecar, its volumes, the app containers' env and the annotations. A list or map
 * the Pod does not have yet is added whole, since `add` to `/spec/volumes/-` fails when there is no
 * `/spec/volumes`. Env additions come first: they address containers by their index before the sidecar is
 * inserted.
 */
export function buildPatch(
  pod: KubeObject,
  sidecar: SidecarVariant,
  appEnv: readonly EnvVar[],
  annotations: Readonly<Record<string, string>>,
): PatchOperation[] {
  const spec = pod.spec as KubeObject;
  const ops: PatchOperation[] = [...annotationOps(pod.metadata, annotations)];
  const list = sidecar.native ? 'initContainers' : 'containers';
  for (const group of ['initContainers', 'containers'] as const) {
    const containers = Array.isArray(spec[group]) ? (spec[group] as unknown[]) : [];
    containers.forEach((container, i) => {
      if (!isRecord(container) || !runsBesideProxy(group, container)) return;
      ops.push(...appendOps(`/spec/${group}/${i}/env`, container.env, missingEnv(container, appEnv)));
    });
  }
  ops.push(...appendOps(`/spec/${list}`, spec[list], [sidecar.container]));
  ops.push(...appendOps('/spec/volumes', spec.volumes, sidecar.volumes));
  return ops;
}

/**
 * Containers that can use the proxy: every regular container, and init containers that keep running beside the
 * app (native sidecars). An init container that runs to completion has finished before the proxy starts, so it
 * is left alone rather than pointed at an address nobody listens on.
 */
function runsBesideProxy(group: 'initContainers' | 'containers', container: KubeObject): boolean {
  return group === 'containers' || container.restartPolicy === 'Always';
}

function missingEnv(container: KubeObject, appEnv: readonly EnvVar[]): EnvVar[] {
  const own = new Set((Array.isArray(container.env) ? container.env : []).filter(isRecord).map((e) => e.name));
  return appEnv.filter((e) => !own.has(e.name)).map((e) => ({ ...e }));
}

/** `add` of the whole list when it is missing, else one `add` at its end per item. */
function appendOps(path: string, existing: unknown, items: readonly unknown[]): PatchOperation[] {
  if (items.length === 0) return [];
  if (!Array.isArray(existing)) return [{ op: 'add', path, value: [...items] }];
  return items.map((value) => ({ op: 'add', path: `${path}/-`, value }));
}

/** A patch that only adds annotations: what a Pod that is not injected still gets, to say why at a glance. */
export function annotationPatch(pod: KubeObject, annotations: Readonly<Record<string, string>>): PatchOperation[] {
  return annotationOps(pod.metadata, annotations);
}

function annotationOps(metadata: unknown, annotations: Readonly<Record<string, string>>): PatchOperation[] {
  if (!isRecord(metadata)) return [{ op: 'add', path: '/metadata', value: { annotations: { ...annotations } } }];
  if (!isRecord(metadata.annotations)) return [{ op: 'add', path: '/metadata/annotations', value: { ...annotations } }];
  return Object.entries(annotations).map(([key, value]) => ({ op: 'add', path: `/metadata/annotations/${pointerSegment(key)}`, value }));
}
