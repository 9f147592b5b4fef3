import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Config, Env, SecretRef } from '../config/types';

/**
 * Secret files as last read. Kubernetes updates a mounted Secret by swapping a symlinked directory, which
 * file watchers miss easily; polling the few small files every couple of seconds is cheap and always right.
 */
export type FileContents = ReadonlyMap<string, string>;

export function referencedFiles(config: Config): string[] {
  const refs: (SecretRef | undefined)[] = [config.upstream.apiKey, ...config.fallbacks.map((f) => f.apiKey)];
  for (const client of config.clients) refs.push(client.key, client.upstreamKey, ...Object.values(client.fallbackKeys ?? {}));
  const paths = new Set<string>();
  for (const ref of refs) if (ref?.kind === 'file') paths.add(ref.path);
  return [...paths];
}

/** Reads every file at start; a file that cannot be read is a start-up problem, named by its setting. */
export function readAllSync(paths: readonly string[]): { contents: Map<string, string>; errors: Map<string, string> } {
  const contents = new Map<string, string>();
  const errors = new Map<string, string>();
  for (const path of paths) {
    try {
      contents.set(path, readFileSync(path, 'utf8'));
    } catch (err) {
      errors.set(path, describeReadError(err));
    }
  }
  return { contents, errors };
}

export async function readAll(paths: readonly string[]): Promise<{ contents: Map<string, string>; errors: Map<string, string> }> {
  const contents = new Map<string, string>();
  const errors = new Map<string, string>();
  await Promise.all(
    paths.map(async (path) => {
      try {
        contents.set(path, await readFile(path, 'utf8'));
      } catch (err) {
        errors.set(path, describeReadError(err));
      }
    }),
  );
  return { contents, errors };
}

function describeReadError(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'unreadable';
}

/**
 * The key(s) a reference yields. A file may hold several keys, one per line, so an old and a new client key
 * both work during a rotation; for an upstream key only the first is used. Trailing whitespace is trimmed.
 */
export function resolveKeys(ref: SecretRef, env: Env, files: FileContents): string[] {
  switch (ref.kind) {
    case 'value':
      return [ref.value.trim()].filter(Boolean);
    case 'env':
      return [(env[ref.name] ?? '').trim()].filter(Boolean);
    case 'file':
      return (files.get(ref.path) ?? '')
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean);
    case 'sha256':
    case 'workloadIdentity':
      return [];
  }
}

/** Why a reference yielded no key: an unset variable is named as such, not as one that "holds no key". */
export function noKeyMessage(ref: SecretRef, env: Env): string {
  if (ref.kind === 'env' && !env[ref.name]) return `environment variable ${ref.name} is not set`;
  return `${describeRef(ref)} holds no key`;
}

/** For messages: where a reference points, never what it holds. */
export function describeRef(ref: SecretRef): string {
  switch (ref.kind) {
    case 'value':
      return 'the inline value';
    case 'env':
      return `environment variable ${ref.name}`;
    case 'file':
      return `file ${ref.path}`;
    case 'sha256':
      return 'the sha256 digest';
    case 'workloadIdentity':
      return `workload identity (${ref.identity.provider})`;
  }
}
