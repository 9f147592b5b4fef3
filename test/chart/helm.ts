/**
 * Runs the real Helm binary (`make helm` puts it in .tools/helm) on chart/ and parses what it renders.
 *
 *   render(opts)            -> K8sObject[]  `helm template`, every document parsed (empty ones dropped)
 *   renderAsync(opts)       -> Promise<K8sObject[]>  the same without blocking (a fake API server can answer)
 *   renderFails(opts)       -> string       `helm template` that must fail: its stderr (throws if it renders)
 *   helm(args)              -> string       any helm command's stdout (throws with stderr on failure)
 *   CI_VALUES               chart/ci/*-values.yaml, as paths relative to the repo root
 *   KUBE_VERSIONS           the two Kubernetes versions every mode is rendered for: before and after native sidecars
 *   find / findAll / podSpec / proxyContainer / appContainers / envOf: small accessors on rendered objects
 *   isInjector / isRedis / proxyDeployments: tell the sidecar injector's and redis.deploy's objects from the proxy's
 *
 * Tests run with cwd = repo root (tap's default), so paths here are relative to it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const HELM = join('.tools', 'helm');
export const CHART = 'chart';
export const RELEASE = 'openai-proxy';
export const NAMESPACE = 'ai';
export const KUBE_VERSIONS = ['1.28', '1.33'] as const;

export const CI_VALUES = readdirSync(join(CHART, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .sort()
  .map((f) => join(CHART, 'ci', f));

// Rendered Kubernetes objects are loosely typed on purpose: tests assert on their shape.
export type K8sObject = Record<string, any>;

export interface RenderOptions {
  /** Values files, applied in order. */
  values?: string[];
  /** `--set` expressions. */
  set?: string[];
  /** `--set-string` expressions. */
  setString?: string[];
  kube?: string;
  chart?: string;
  /** More flags, e.g. a cluster to look objects up in (see fake-kube-api.ts). */
  extraArgs?: string[];
}

function templateArgs(opts: RenderOptions): string[] {
  const args = ['template', RELEASE, opts.chart ?? CHART, '--namespace', NAMESPACE, '--kube-version', opts.kube ?? '1.33'];
  for (const file of opts.values ?? []) args.push('--values', file);
  for (const expr of opts.set ?? []) args.push('--set', expr);
  for (const expr of opts.setString ?? []) args.push('--set-string', expr);
  args.push(...(opts.extraArgs ?? []));
  return args;
}

export function helm(args: string[]): string {
  try {
    return execFileSync(HELM, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // helm lint reports problems on stdout, helm template on stderr: keep both.
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`helm ${args[0]} failed: ${[e.stdout, e.stderr].filter(Boolean).join('\n') || e.message}`);
  }
}

export function render(opts: RenderOptions = {}): K8sObject[] {
  return parseRendered(helm(templateArgs(opts)));
}

/** render() without blocking the event loop, for a test that serves Helm something itself (a fake API server). */
export async function renderAsync(opts: RenderOptions = {}): Promise<K8sObject[]> {
  const { stdout } = await promisify(execFile)(HELM, templateArgs(opts), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).catch((err) => {
    throw new Error(`helm template failed: ${(err as { stderr?: string }).stderr || (err as Error).message}`);
  });
  return parseRendered(stdout);
}

function parseRendered(out: string): K8sObject[] {
  return parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJSON() as K8sObject | null;
    })
    .filter((obj): obj is K8sObject => obj !== null && typeof obj === 'object');
}

export function renderFails(opts: RenderOptions): string {
  try {
    execFileSync(HELM, templateArgs(opts), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? '');
  }
  throw new Error(`helm template rendered, but should have refused: ${JSON.stringify(opts)}`);
}

export const findAll = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);

export function find(objs: K8sObject[], kind: string): K8sObject {
  const found = findAll(objs, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

/** The sidecar injector's objects carry this component label; everything else is the proxy's (or its app's). */
export const isInjector = (obj: K8sObject): boolean => obj.metadata?.labels?.['app.kubernetes.io/component'] === 'injector';

/** redis.deploy's Redis carries this component label. */
export const isRedis = (obj: K8sObject): boolean => obj.metadata?.labels?.['app.kubernetes.io/component'] === 'redis';

/** The proxy's (or, in sidecar mode, the app's) Deployment: the one that is neither the injector's nor Redis's. */
export const proxyDeployments = (objs: K8sObject[]): K8sObject[] => findAll(objs, 'Deployment').filter((d) => !isInjector(d) && !isRedis(d));

export const podSpec = (objs: K8sObject[]): K8sObject => find(proxyDeployments(objs), 'Deployment').spec.template.spec;

/** Every container of a Pod spec, init containers included. */
export const allContainers = (spec: K8sObject): K8sObject[] => [...(spec.initContainers ?? []), ...(spec.containers ?? [])];

export function proxyContainer(spec: K8sObject): K8sObject {
  const found = allContainers(spec).filter((c) => c.name === 'openai-proxy');
  if (found.length !== 1) throw new Error(`expected one openai-proxy container, found ${found.length}`);
  return found[0]!;
}

export const appContainers = (spec: K8sObject): K8sObject[] => allContainers(spec).filter((c) => c.name !== 'openai-proxy');

export function envOf(container: K8sObject): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map((e: K8sObject) => [e.name, e.value]));
}

/** Every Pod spec in the output: Deployments' templates and bare Pods (the helm test hook). */
export function podSpecs(objs: K8sObject[]): { name: string; spec: K8sObject }[] {
  return objs.flatMap((o) => {
    if (o.kind === 'Deployment') return [{ name: `Deployment/${o.metadata.name}`, spec: o.spec.template.spec }];
    if (o.kind === 'Pod') return [{ name: `Pod/${o.metadata.name}`, spec: o.spec }];
    return [];
  });
}
