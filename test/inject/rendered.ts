/**
 * The injector as the chart renders it, for tests that run it: its INJECT_CONFIG (the sidecar, rendered by the
 * sidecar-mode templates) and its serving certificate, written to files.
 *
 *   renderInjector(dir, opts?) -> { config, objs, tls }
 *     opts.kube / opts.set / opts.values   as for render(); the values start from chart/ci/injector-values.yaml
 *     config                             path of the ConfigMap's sidecar.yaml (give it as INJECT_CONFIG)
 *     tls                                { cert, key, ca } paths from the rendered kubernetes.io/tls Secret
 *     objs                               everything rendered
 *   writeInjectorFiles(dir, objs)        -> the same from objects rendered already
 *   sidecarTemplate(dir, opts?)          -> the parsed INJECT_CONFIG
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findAll, isInjector, render, type K8sObject, type RenderOptions } from '../chart/helm';

export const INJECTOR_VALUES = 'chart/ci/injector-values.yaml';

export interface RenderedInjector {
  config: string;
  objs: K8sObject[];
  tls: { cert: string; key: string; ca: string };
}

export function renderInjector(dir: string, opts: RenderOptions = {}): RenderedInjector {
  return writeInjectorFiles(dir, render({ ...opts, values: [INJECTOR_VALUES, ...(opts.values ?? [])] }));
}

/** The injector's files out of objects already rendered (with `injector.enabled`). */
export function writeInjectorFiles(dir: string, objs: K8sObject[]): RenderedInjector {
  const injector = objs.filter(isInjector);
  const configMap = findAll(injector, 'ConfigMap')[0];
  if (!configMap) throw new Error('the chart rendered no injector ConfigMap');
  const config = join(dir, 'sidecar.yaml');
  writeFileSync(config, configMap.data['sidecar.yaml']);
  const secret = findAll(injector, 'Secret')[0];
  const tls = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ca: join(dir, 'ca.crt') };
  if (secret) {
    for (const [entry, path] of [
      ['tls.crt', tls.cert],
      ['tls.key', tls.key],
      ['ca.crt', tls.ca],
    ] as const) {
      writeFileSync(path, Buffer.from(secret.data[entry], 'base64'), { mode: 0o600 });
    }
  }
  return { config, objs, tls };
}

export function sidecarTemplate(dir: string, opts: RenderOptions = {}): K8sObject {
  const { objs } = renderInjector(dir, opts);
  return parse(findAll(objs.filter(isInjector), 'ConfigMap')[0]!.data['sidecar.yaml']);
}
