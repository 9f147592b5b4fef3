// Process and /proc helpers for bench.mjs: tools, tracked children that are always killed, RSS/CPU readers.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import readline from 'node:readline';

export const log = (msg) => console.log(`[bench] ${msg}`);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * Median, quartiles (linear interpolation), min and max of a sample, undefined when it has no finite value:
 * what the paired rounds report for each ratio, so its spread shows how far one pair can be trusted.
 */
export function spread(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const at = (p) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
  };
  return { median: at(0.5), q1: at(0.25), q3: at(0.75), min: s[0], max: s[s.length - 1], n: s.length };
}

const which = (cmd) => ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin'].map((dir) => `${dir}/${cmd}`).find(existsSync);

/** wrk, nginx-light and redis-server from Debian, installed once if missing (apt-get update first; needs root). */
export function ensureTools() {
  const missing = [
    ['wrk', 'wrk'],
    ['nginx', 'nginx-light'],
    ['redis-server', 'redis-server'],
  ]
    .filter(([bin]) => !which(bin))
    .map(([, pkg]) => pkg);
  if (missing.length) {
    if (process.getuid?.() !== 0) throw new Error(`missing ${missing.join(', ')}: run as root, or apt-get install them first`);
    const apt = (args) => {
      log(`running: apt-get ${args.join(' ')}`);
      execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    };
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', ...missing]);
    if (existsSync('/run/nginx.pid')) log('note: the nginx package started its system service (pid in /run/nginx.pid); the bench does not use it');
  } else {
    log('wrk, nginx and redis-server are installed');
  }
  return { wrk: which('wrk'), nginx: which('nginx'), redis: which('redis-server') };
}

/** [soft, hard] open-file limits of this process. */
export function nofileLimits() {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line
    .trim()
    .split(/\s+/)
    .slice(3, 5)
    .map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  return [soft, hard];
}

/**
 * A shell prefix that gives a child `need` open files. Node cannot call setrlimit itself; raising the soft
 * limit up to the hard one is always allowed, above it only with CAP_SYS_RESOURCE (root outside a container).
 */
export function nofilePrefix(need) {
  const [soft, hard] = nofileLimits();
  if (soft >= need) return null;
  if (need <= hard) return `ulimit -Sn ${need}`;
  try {
    execFileSync('/bin/sh', ['-c', `ulimit -n ${need}`], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `need ${need} open files but the hard limit is ${hard} and cannot be raised here: ` +
        `lower BENCH_STREAMS to ${Math.floor((hard - 2048) / 2)} or raise the limit (ulimit -Hn) before make bench`,
    );
  }
  return `ulimit -n ${need}`;
}

const children = new Map();

/**
 * Spawns a child that cleanup() will kill. `nofile` and `cgroup` (a memoryCgroup) wrap it in
 * `sh -c 'ulimit ...; echo $$ > .../cgroup.procs; exec ...'`: the same pid, in the cgroup before Node starts.
 */
export function startChild(name, cmd, args, { env, nofile, cgroup, stdio = ['ignore', 'pipe', 'pipe'] } = {}) {
  const prefix = [nofile && nofilePrefix(nofile), cgroup?.enter].filter(Boolean).join(' && ');
  const child = prefix ? spawn('/bin/sh', ['-c', `${prefix} && exec "$0" "$@"`, cmd, ...args], { env, stdio }) : spawn(cmd, args, { env, stdio });
  children.set(child, name);
  child.stderrTail = '';
  child.stderr?.on('data', (d) => (child.stderrTail = (child.stderrTail + d).slice(-4000)));
  child.on('exit', () => children.delete(child));
  return child;
}

/**
 * Resolves to the first stdout line parsed as JSON for which `wanted` holds (every line before it is skipped);
 * rejects if the child exits or `ms` pass first.
 */
export function firstJsonLine(child, name, ms = 15_000, wanted = () => true) {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`${name}: no start line within ${ms} ms\n${child.stderrTail}`)), ms);
    const onExit = (code) => reject(new Error(`${name} exited (${code}) before starting\n${child.stderrTail}`));
    child.once('exit', onExit);
    const onLine = (line) => {
      let parsed;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (parsed !== undefined && !wanted(parsed)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.off('line', onLine);
      lines.close();
      // The proxy logs one line per request: keep draining stdout, as a container runtime would.
      child.stdout.resume();
      if (parsed === undefined) reject(new Error(`${name}: start line is not JSON: ${line}`));
      else resolve(parsed);
    };
    lines.on('line', onLine);
  });
}

/** Runs a child to completion with a deadline; resolves to its stdout. */
export function runToEnd(name, cmd, args, { env, nofile, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = startChild(name, cmd, args, { env, nofile });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${name} failed (${signal ?? code})\n${out.slice(-2000)}\n${child.stderrTail}`));
    });
  });
}

/** Terminates every child still running: SIGTERM, then SIGKILL after 3 s. */
export async function cleanup() {
  for (const [child] of children) child.kill('SIGTERM');
  for (let i = 0; i < 30 && children.size > 0; i++) await sleep(100);
  for (const [child, name] of children) {
    log(`${name} (pid ${child.pid}) ignored SIGTERM; killing it`);
    child.kill('SIGKILL');
  }
}

/** Last resort on a synchronous exit path. */
export function killAllNow() {
  for (const [child] of children) {
    // nginx's worker would outlive a SIGKILLed master.
    for (const pid of childPids(child.pid))
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    child.kill('SIGKILL');
  }
}

/** A port nothing listens on right now, for nginx (which cannot report a port-0 choice back to us). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port, ms, isDead) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !isDead()) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

/** VmRSS and VmHWM of a process, in MiB. */
export function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid) {
  // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Samples VmRSS of some processes every `everyMs` until stop(); VmHWM alone would span the whole life. */
export function sampleRss(pids, everyMs = 100) {
  const max = Object.fromEntries(pids.map((pid) => [pid, 0]));
  const take = () => {
    for (const pid of pids) {
      try {
        max[pid] = Math.max(max[pid], memoryMiB(pid).rss);
      } catch {
        /* exited */
      }
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return max;
    },
  };
}

/**
 * The sidecar's footprint as `make image-check` last measured it (image-results/<scenario>.json), or
 * undefined: container memory and start-up are measured in the image, the way the kubelet sees them.
 */
export function imageFootprint(dir) {
  let files;
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'image.json');
  } catch {
    return undefined;
  }
  const scenarios = files
    .map((f) => ({ file: join(dir, f), ...JSON.parse(readFileSync(join(dir, f), 'utf8')) }))
    .filter((r) => r.scenario?.startsWith('sidecar'))
    .map((r) => ({
      scenario: r.scenario,
      measuredAt: statSync(r.file).mtime.toISOString(),
      startToReadyMs: r.startToReadyMs,
      processToReadyMs: r.processToReadyMs,
      idleWorkingSetMiB: r.idle.workingSet / 2 ** 20,
    }));
  return scenarios.length ? { dir, scenarios } : undefined;
}

/**
 * A memory cgroup of its own limited to `bytes`, so that a Node process runs as it does in a Pod with that
 * limit: Node sizes V8's heap from the limit it finds (without one, from the machine's memory: on a 24 GiB
 * machine a 4 GiB heap, and V8 then leaves garbage uncollected far longer than a Pod could hold it). cgroup v1's
 * memory controller or v2; undefined where neither can be written (not root, no memory controller delegated).
 */
export function memoryCgroup(name, bytes) {
  const own = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .map((l) => l.split(':'));
  const v1 = own.find(([, controllers]) => controllers?.split(',').includes('memory'));
  const v2 = own.find(([id, controllers]) => id === '0' && controllers === '');
  // Only under a parent that is a cgroup with the memory controller: a plain directory (v2's place on a v1
  // machine is a tmpfs) would take the files and limit nothing.
  const layouts = [];
  if (v1 && existsSync(join('/sys/fs/cgroup/memory', v1[2], 'memory.limit_in_bytes'))) {
    layouts.push({
      parent: join('/sys/fs/cgroup/memory', v1[2]),
      limit: 'memory.limit_in_bytes',
      peak: 'memory.max_usage_in_bytes',
      events: 'memory.oom_control',
    });
  }
  if (
    v2 &&
    readText(join('/sys/fs/cgroup', v2[2], 'cgroup.subtree_control'))
      .split(/\s+/)
      .includes('memory')
  ) {
    layouts.push({ parent: join('/sys/fs/cgroup', v2[2]), limit: 'memory.max', peak: 'memory.peak', events: 'memory.events' });
  }
  for (const layout of layouts) {
    const dir = join(layout.parent, name);
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, layout.limit), String(bytes));
    } catch {
      try {
        rmdirSync(dir);
      } catch {
        /* never made */
      }
      continue;
    }
    return {
      dir,
      /** A shell command that moves the shell running it (and what it then execs) into the cgroup. */
      enter: `echo $$ > '${dir}/cgroup.procs'`,
      /** The most memory the cgroup held (RSS and page cache it charged), in MiB; undefined if the kernel keeps no peak. */
      peakMiB: () => {
        const text = readText(join(dir, layout.peak));
        return text ? Number(text) / 2 ** 20 : undefined;
      },
      /** Processes the kernel killed for reaching the limit. */
      oomKills: () => Number(/^oom_kill (\d+)$/m.exec(readText(join(dir, layout.events)))?.[1] ?? 0),
      /** Once its processes are gone. */
      remove: () => {
        try {
          rmdirSync(dir);
        } catch {
          /* still busy or gone */
        }
      },
    };
  }
  return undefined;
}

/** A file's text, or '' if it cannot be read. */
function readText(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
