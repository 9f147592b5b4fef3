import { isRecord } from '../config/checks';
import { annotationPatch, buildPatch, type PatchOperation } from './patch';
import type { KubeObject, SidecarTemplate, SidecarVariant, VariantName } from './template';

export const ANNOTATION = {
  inject: 'openai-proxy.io/inject',
  secret: 'openai-proxy.io/secret',
  status: 'openai-proxy.io/status',
} as const;
export const STATUS_INJECTED = 'injected';
export const STATUS_SKIPPED = 'skipped';

/**
 * What to do with one Pod. `skipped`: not asked for (or done already), allowed as it is; or asked for where the
 * sidecar must not go, allowed with a warning and only the status annotation added (`patch`). `failed`: asked
 * for but not possible, allowed as it is with a warning, because the injector never blocks a Pod.
 */
export type Plan =
  | { result: 'skipped'; reason: string; warn?: boolean; patch?: PatchOperation[] }
  | { result: 'failed'; reason: string }
  | { result: 'injected'; variant: VariantName; secret?: string; patch: PatchOperation[] };

/** A Secret's name: an RFC 1123 subdomain, as Kubernetes requires it. */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function planInjection(pod: KubeObject, template: SidecarTemplate): Plan {
  const annotations = isRecord(pod.metadata) && isRecord(pod.metadata.annotations) ? pod.metadata.annotations : {};
  const asked = annotations[ANNOTATION.inject];
  if (asked === undefined || asked === 'false') return { result: 'skipped', reason: `no ${ANNOTATION.inject}: "true" annotation` };
  if (asked !== 'true') return { result: 'failed', reason: `${ANNOTATION.inject} must be "true" or "false", not ${JSON.stringify(asked)}` };
  if (annotations[ANNOTATION.status] === STATUS_INJECTED) return { result: 'skipped', reason: 'already injected' };
  const exposed = processNamespaceExposure(pod.spec);
  if (exposed) return { result: 'skipped', reason: exposed, warn: true, patch: annotationPatch(pod, { [ANNOTATION.status]: STATUS_SKIPPED }) };

  const secret = annotations[ANNOTATION.secret];
  const chosen = chooseVariant(secret, template);
  if ('reason' in chosen) return { result: 'failed', reason: chosen.reason };
  const spec = isRecord(pod.spec) ? pod.spec : undefined;
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) return { result: 'failed', reason: 'the Pod has no containers' };
  const conflict = conflictWith(spec, chosen.sidecar);
  if (conflict) return { result: 'failed', reason: conflict };

  const named = chosen.sidecar.secretVolume && typeof secret === 'string' ? withSecret(chosen.sidecar, secret) : chosen.sidecar;
  const sidecar = readableWithoutFsGroup(named, spec);
  const patch = buildPatch(pod, sidecar, template.appEnv, { ...sidecar.annotations, [ANNOTATION.status]: STATUS_INJECTED });
  return { result: 'injected', variant: chosen.variant, secret: typeof secret === 'string' ? secret : undefined, patch };
}

/**
 * Why other processes could reach the proxy's key in this Pod, if they could: through `/proc/<pid>/root`, a
 * process of the same process namespace running as the proxy's UID (or with CAP_SYS_PTRACE) sees the proxy's
 * mounts. The proxy's own UID makes that unlikely; not sharing the namespace makes it impossible.
 */
function processNamespaceExposure(spec: unknown): string | undefined {
  if (!isRecord(spec)) return undefined;
  const reasons: string[] = [];
  if (spec.shareProcessNamespace === true)
    reasons.push(
      "the Pod's containers share one process namespace (shareProcessNamespace: true), where an app process could read the proxy's key through /proc",
    );
  if (spec.hostPID === true)
    reasons.push("the Pod uses the node's process namespace (hostPID: true), where processes of the node could read the proxy's key through /proc");
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/**
 * The chart's Secret files are 0440: root's and the Pod's fsGroup's, a group the kubelet gives every container.
 * An app's Pod without an fsGroup gets none added: an fsGroup re-owns every volume of the Pod, the app's
 * PersistentVolumes included (recursively, slow on large ones), and breaks apps that check their data's mode.
 * There the files stay root:root, so others get the group's read: only the sidecar mounts them.
 */
function readableWithoutFsGroup(sidecar: SidecarVariant, spec: KubeObject): SidecarVariant {
  if (isRecord(spec.securityContext) && spec.securityContext.fsGroup !== undefined && spec.securityContext.fsGroup !== null) return sidecar;
  const volumes = sidecar.volumes.map((volume) => {
    for (const kind of ['secret', 'configMap', 'projected', 'downwardAPI']) {
      const source = volume[kind];
      if (isRecord(source) && typeof source.defaultMode === 'number') {
        return { ...volume, [kind]: { ...source, defaultMode: source.defaultMode | ((source.defaultMode & 0o040) >> 3) } };
      }
    }
    return volume;
  });
  return { ...sidecar, volumes };
}

/** The Pod's named Secret if it names one, else workload identity with the Pod's own ServiceAccount. */
function chooseVariant(secret: unknown, template: SidecarTemplate): { variant: VariantName; sidecar: SidecarVariant } | { reason: string } {
  if (secret !== undefined) {
    if (typeof secret !== 'string' || !SECRET_NAME.test(secret) || secret.length > 253) {
      return { reason: `${ANNOTATION.secret} must be the name of a Secret in the Pod's namespace, not ${JSON.stringify(secret)}` };
    }
    if (!template.secret) return { reason: `${ANNOTATION.secret} is set, but this injector is configured for workload identity only` };
    return { variant: 'secret', sidecar: template.secret };
  }
  if (!template.workloadIdentity)
    return { reason: `${ANNOTATION.secret} is not set, and this injector has no workload identity configured: name the Secret that holds openai-api-key` };
  return { variant: 'workloadIdentity', sidecar: template.workloadIdentity };
}

/** Anything the patch would collide with, so the API server would refuse the Pod or the sidecar could not start. */
function conflictWith(spec: KubeObject, sidecar: SidecarVariant): string | undefined {
  if (spec.hostNetwork === true) return "the Pod uses the node's network, so the proxy's loopback port would be open to the whole node";
  const containers = [...asList(spec.initContainers), ...asList(spec.containers)];
  if (containers.some((c) => c.name === sidecar.container.name)) return `the Pod already has a container named ${sidecar.container.name}`;
  const volumes = new Set(asList(spec.volumes).map((v) => v.name));
  const taken = sidecar.volumes.find((v) => volumes.has(v.name));
  if (taken) return `the Pod already has a volume named ${taken.name}`;
  for (const c of containers) {
    for (const port of asList(c.ports)) {
      if (sidecar.ports.includes(Number(port.containerPort)))
        return `container ${String(c.name)} declares port ${String(port.containerPort)}, which the proxy listens on`;
      if (typeof port.name === 'string' && sidecar.portNames.includes(port.name))
        return `container ${String(c.name)} declares a port named ${port.name}, as the proxy does`;
    }
  }
  return undefined;
}

function withSecret(sidecar: SidecarVariant, secretName: string): SidecarVariant {
  const volumes = sidecar.volumes.map((v) => (v.name === sidecar.secretVolume ? { ...v, secret: { ...(v.secret as KubeObject), secretName } } : v));
  return { ...sidecar, volumes };
}

function asList(value: unknown): KubeObject[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}
