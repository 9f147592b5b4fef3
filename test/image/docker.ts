/**
 * The Docker CLI and what the kernel says about a running container, for the image check.
 *
 *   docker(args, opts?)        -> Promise<string>  the CLI's stdout (opts.both: stdout then stderr, for
 *                                 `docker logs`); rejects with its stderr (DOCKER: the client binary, default
 *                                 `docker`; DOCKER_HOST: the engine, from the caller)
 *   inspect(name)              -> Promise<K8sObject>  `docker inspect` of one container
 *   cgroupMemory(pid)          -> { usage, workingSet, limit } in bytes, from the cgroup v1 or v2 memory files
 *                                 of that process (working set: usage less inactive page cache, as the kubelet
 *                                 and `kubectl top` count it)
 *   processStatus(pid)         -> the fields of /proc/<pid>/status (Uid, CapEff, NoNewPrivs, Seccomp, ...)
 *   rss(pid)                   -> { rss, rssAnon } in bytes
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { K8sObject } from '../chart/helm';

const DOCKER = process.env.DOCKER ?? 'docker';

export function docker(args: string[], opts: { timeoutMs?: number; both?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(DOCKER, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`docker ${args[0]} failed: ${stderr.trim() || err.message}`));
      else resolve(opts.both ? stdout + stderr : stdout);
    });
  });
}

export async function inspect(name: string): Promise<K8sObject> {
  return JSON.parse(await docker(['inspect', '--type', 'container', name]))[0];
}

export interface CgroupMemory {
  usage: number;
  workingSet: number;
  limit: number;
}

export function cgroupMemory(pid: number): CgroupMemory {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const v1 = lines.map((l) => l.split(':')).find(([, controllers]) => controllers!.split(',').includes('memory'));
  if (v1 && existsSync(join('/sys/fs/cgroup/memory', v1[2]!))) {
    const dir = join('/sys/fs/cgroup/memory', v1[2]!);
    const usage = readNumber(join(dir, 'memory.usage_in_bytes'));
    return { usage, workingSet: usage - statField(dir, 'total_inactive_file'), limit: readNumber(join(dir, 'memory.limit_in_bytes')) };
  }
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (!v2) throw new Error(`no memory cgroup for pid ${pid}`);
  const dir = join('/sys/fs/cgroup', v2.slice(3));
  const usage = readNumber(join(dir, 'memory.current'));
  const max = readFileSync(join(dir, 'memory.max'), 'utf8').trim();
  return { usage, workingSet: usage - statField(dir, 'inactive_file'), limit: max === 'max' ? Infinity : Number(max) };
}

export function processStatus(pid: number): Record<string, string> {
  const fields = readFileSync(`/proc/${pid}/status`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(':\t').map((s) => s.trim()));
  return Object.fromEntries(fields);
}

/** A process's resident memory in bytes: all of it, and the anonymous part (heap, stacks: its own, not shared). */
export function rss(pid: number): { rss: number; rssAnon: number } {
  const status = processStatus(pid);
  const bytes = (field: string) => Number(status[field]!.replace(/\s*kB$/, '')) * 1024;
  return { rss: bytes('VmRSS'), rssAnon: bytes('RssAnon') };
}

function readNumber(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

function statField(dir: string, name: string): number {
  const line = readFileSync(join(dir, 'memory.stat'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
