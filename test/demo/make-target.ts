/**
 * Runs a make target as a user runs it from a terminal: in the repository, with only the environment the
 * test gives (no key, no config file, nothing from the developer's shell), in a process group of its own so
 * that "Ctrl-C" (SIGINT to the whole group) reaches make, the demo and the proxy alike.
 *
 * Stable exports:
 *   buildForMake()                 builds dist/ and the demos once, one test at a time (tap runs files in
 *                                  parallel; two compilers writing the same files would race)
 *   startMakeTarget(t, target, env?, cwd?) -> MadeProcess, run in `cwd` (default the repository); killed with
 *                                  its group in t.teardown if still running
 *   MadeProcess                    { output, exited, waitFor(pattern, ms?), banner(ms?), interrupt(ms?) }
 *     banner()                     resolves once a demo banner (between two rules of '=') is out
 *     interrupt()                  SIGINT to the group, as Ctrl-C; resolves with make's exit once it is gone
 *   bannerLines(output, start)     the banner's lines that start with `start` (curl, python3 -c, node -e), trimmed
 *   runShell(line, timeoutMs?, cwd?) -> { code, stdout, stderr }: the line run by bash in `cwd` (default the
 *                                  repository)
 *   cleanEnv(extra?)               PATH and HOME, and `extra`
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/proxy';

interface TapLike {
  teardown(fn: () => unknown): void;
}

export const RULE = '='.repeat(100);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra };
}

export async function buildForMake(): Promise<void> {
  const lock = join(REPO_ROOT, '.tools', 'demo-build.lock');
  mkdirSync(join(REPO_ROOT, '.tools'), { recursive: true });
  for (const deadline = Date.now() + 180_000; ; await sleep(100)) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a test that was killed mid-build is taken over after two minutes.
      const age = Date.now() - (statSafe(lock) ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${lock} held for 3 minutes`);
    }
  }
  try {
    execFileSync('make', ['--no-print-directory', '-s', 'build', '.tools/demo/demo/run.js'], { cwd: REPO_ROOT, env: cleanEnv(), stdio: 'pipe' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function statSafe(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

export interface MadeProcess {
  readonly output: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  banner(timeoutMs?: number): Promise<string>;
  interrupt(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startMakeTarget(t: TapLike, target: string, env: Record<string, string> = cleanEnv(), cwd = REPO_ROOT): MadeProcess {
  const child = spawn('make', ['--no-print-directory', target], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };
  t.teardown(async () => {
    if (gone) return;
    signalGroup('SIGINT');
    const timer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(50)) {
      const found = pattern.exec(output);
      if (found) return found;
      if (gone) throw new Error(`make ${target} ended before ${pattern}; it wrote:\n${output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; make ${target} wrote:\n${output}`);
    }
  };
  return {
    get output() {
      return output;
    },
    exited,
    waitFor,
    banner: async (timeoutMs) => (await waitFor(new RegExp(`${RULE}\\n([\\s\\S]*?)\\n${RULE}\\n`), timeoutMs))[1]!,
    interrupt: async (timeoutMs = 30_000) => {
      signalGroup('SIGINT');
      const timer = setTimeout(() => signalGroup('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

export function bannerLines(banner: string, start: string): string[] {
  return banner
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith(start));
}

export function runShell(line: string, timeoutMs = 30_000, cwd = REPO_ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', line], { cwd, env: cleanEnv(), timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
