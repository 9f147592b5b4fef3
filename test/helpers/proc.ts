/**
 * Reading a child process's memory from /proc (Linux).
 *
 * Stable exports:
 *   peakRssMb(pid)   the process's peak resident set size (VmHWM) in MiB
 */
import { readFileSync } from 'node:fs';

export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb / 1024;
}
