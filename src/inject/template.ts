import { parse as parseYaml } from 'yaml';
import { type Problems, isRecord, rejectUnknownKeys } from '../config/checks';

/** A Kubernetes object as JSON: the injector copies what the chart rendered and reads only a few fields. */
export type KubeObject = Record<string, unknown>;

export interface EnvVar {
  name: string;
  value: string;
}

/** The proxy as one credential source needs it: container and volumes (its settings are in the container's env). */
export interface SidecarVariant {
  container: KubeObject & { name: string };
  volumes: (KubeObject & { name: string })[];
  /**
   * Set on the Pod beside the status. The chart renders none: nothing the sidecar reads may come from the Pod's
   * annotations, which anyone who may edit the Pod can change while it runs.
   */
  annotations: Readonly<Record<string, string>>;
  /** The volume whose Secret becomes the one the Pod names in `openai-proxy.io/secret`. */
  secretVolume?: string;
  /** A native sidecar (restartable init container) when the chart rendered `restartPolicy: Always`. */
  native: boolean;
  /** Ports the sidecar takes in the Pod's network namespace: its declared ports and its `PORT`. */
  ports: readonly number[];
  portNames: readonly string[];
}

/** `INJECT_CONFIG`: what the chart rendered with its sidecar templates, for each way to get the upstream key. */
export interface SidecarTemplate {
  /** What every app container gets unless it sets the same name itself. */
  appEnv: readonly EnvVar[];
  secret?: SidecarVariant;
  workloadIdentity?: SidecarVariant;
}

export type VariantName = 'secret' | 'workloadIdentity';
export const VARIANTS: readonly VariantName[] = ['secret', 'workloadIdentity'];

/** Parses the file's text; every problem is named by its place in the file. */
export function parseTemplate(text: string, problems: Problems): SidecarTemplate | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return problems.add('INJECT_CONFIG', `is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isRecord(doc)) return problems.add('INJECT_CONFIG', 'must hold a mapping (appEnv, secret, workloadIdentity)');
  rejectUnknownKeys(doc, ['appEnv', ...VARIANTS], '', problems);
  const before = problems.list.length;
  const template: SidecarTemplate = {
    appEnv: parseEnv(doc.appEnv, problems),
    secret: doc.secret === undefined ? undefined : parseVariant(doc.secret, 'secret', problems),
    workloadIdentity: doc.workloadIdentity === undefined ? undefined : parseVariant(doc.workloadIdentity, 'workloadIdentity', problems),
  };
  if (doc.secret === undefined && doc.workloadIdentity === undefined) problems.add('INJECT_CONFIG', 'must describe at least one of secret, workloadIdentity');
  return problems.list.length > before ? undefined : template;
}

function parseEnv(raw: unknown, problems: Problems): EnvVar[] {
  const valid = Array.isArray(raw) && raw.every((e) => isRecord(e) && typeof e.name === 'string' && e.name !== '' && typeof e.value === 'string');
  if (!valid) {
    problems.add('appEnv', 'must be a list of { name, value } strings');
    return [];
  }
  return (raw as EnvVar[]).map(({ name, value }) => ({ name, value }));
}

function parseVariant(raw: unknown, at: string, problems: Problems): SidecarVariant | undefined {
  if (!isRecord(raw)) return problems.add(at, 'must be a mapping (container, volumes, annotations, secretVolume)');
  rejectUnknownKeys(raw, ['container', 'volumes', 'annotations', 'secretVolume'], at, problems);
  const { container, volumes, annotations, secretVolume } = raw;
  if (!isRecord(container) || typeof container.name !== 'string' || container.name === '')
    return problems.add(`${at}.container`, 'must be a container with a name');
  if (!Array.isArray(volumes) || !volumes.every((v) => isRecord(v) && typeof v.name === 'string'))
    return problems.add(`${at}.volumes`, 'must be a list of volumes with names');
  if (annotations !== undefined && !(isRecord(annotations) && Object.values(annotations).every((v) => typeof v === 'string'))) {
    return problems.add(`${at}.annotations`, 'must map names to strings');
  }
  const named = volumes as SidecarVariant['volumes'];
  const mounts = Array.isArray(container.volumeMounts) ? container.volumeMounts : [];
  for (const mount of mounts) {
    const name = isRecord(mount) ? mount.name : undefined;
    if (!named.some((v) => v.name === name)) problems.add(`${at}.volumes`, `has no volume for the container's mount ${JSON.stringify(name)}`);
  }
  if (at === 'secret') {
    const target = named.find((v) => v.name === secretVolume);
    if (!target || !isRecord(target.secret)) problems.add(`${at}.secretVolume`, 'must name one of the volumes, a Secret volume');
  }
  return {
    container: container as SidecarVariant['container'],
    volumes: named,
    annotations: (annotations as Record<string, string> | undefined) ?? {},
    secretVolume: typeof secretVolume === 'string' ? secretVolume : undefined,
    native: container.restartPolicy === 'Always',
    ...portsOf(container),
  };
}

function portsOf(container: KubeObject): { ports: number[]; portNames: string[] } {
  const declared = (Array.isArray(container.ports) ? container.ports : []).filter(isRecord);
  const env = (Array.isArray(container.env) ? container.env : []).filter(isRecord);
  const listen = Number(env.find((e) => e.name === 'PORT')?.value);
  const ports = declared.map((p) => Number(p.containerPort)).filter(Number.isInteger);
  if (Number.isInteger(listen) && listen > 0) ports.push(listen);
  return { ports, portNames: declared.map((p) => p.name).filter((n): n is string => typeof n === 'string') };
}
