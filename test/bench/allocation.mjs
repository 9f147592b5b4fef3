// Bytes allocated per request, the proxy with every feature on (proxy-config.mjs's "proxy" file) against the
// floor (node-floor.mjs), each alone under the same wrk load. Each runs with --trace-gc-nvp: every collection
// prints `allocated=<bytes since the one before>`, and their sum over the measured seconds, divided by the requests
// wrk made, is what a request allocates (off by at most one collection's worth in a run of thousands).
// Run: make build && node test/bench/allocation.mjs [--json]   (ALLOC_SECONDS, default 5; ALLOC_NODE_FLAGS)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { proxyConfigFiles } from './proxy-config.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const SECONDS = Number(process.env.ALLOC_SECONDS ?? 5);
const FLAGS = (process.env.ALLOC_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const MAIN = process.env.ALLOC_PROXY_MAIN ?? join(ROOT, 'dist', 'main.js');
const KEYS = { clientKey: 'alloc-client-key-0123456789', upstreamKey: 'sk-alloc-upstream-key-0123456789', fallbackKey: 'sk-alloc-fallback-0123456789' };
const children = [];

/** Starts a Node child; resolves with it once `ready` sees its start line. Sums `allocated=` from its output. */
function start(args, env, ready) {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, 'node_modules'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.allocated = 0;
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    // V8's trace goes to stdout, between the log lines.
    const lines = readline.createInterface({ input: child.stdout });
    child.once('exit', (code) => reject(new Error(`${args.at(-1)} exited (${code})`)));
    let started = false;
    lines.on('line', (line) => {
      const m = / allocated=(\d+)/.exec(line);
      if (m) child.allocated += Number(m[1]);
      if (started) return;
      let parsed;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      const port = ready(parsed);
      if (port === undefined) return;
      started = true;
      resolve({ child, port });
    });
  });
}

/** wrk in a child of its own (not spawnSync: the children's output must be read while it runs). */
function wrk(port, seconds) {
  const args = ['-t', '2', '-c', '32', '-d', `${seconds}s`, '-s', join(HERE, 'post.lua'), `http://127.0.0.1:${port}/v1/chat/completions`];
  const child = spawn('wrk', args, { env: { ...process.env, BENCH_KEY: KEYS.clientKey }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.on('exit', () => {
      const json = /BENCH_JSON (.*)/.exec(out);
      if (json) resolve(JSON.parse(json[1]));
      else reject(new Error(`wrk: ${out}`));
    }),
  );
}

async function measure(name, { child, port }) {
  await wrk(port, 2); // warm-up: JIT, pools, series
  const before = child.allocated;
  const run = await wrk(port, SECONDS);
  const bytes = child.allocated - before;
  if (run.errors.status + run.errors.connect + run.errors.read > 0) throw new Error(`${name}: wrk saw errors ${JSON.stringify(run.errors)}`);
  child.kill('SIGTERM');
  return { name, requests: run.requests, bytesPerRequest: bytes / run.requests };
}

const dir = mkdtempSync(join(os.tmpdir(), 'alloc-bench-'));
try {
  const upstream = await start([join(HERE, 'upstream.mjs')], {}, (l) => l.port);
  const origin = `http://127.0.0.1:${upstream.port}`;
  const files = proxyConfigFiles(dir, { upstreamOrigin: origin, fallbackOrigin: 'http://127.0.0.1:9', ...KEYS });
  const rows = [];
  const floorOpts = JSON.stringify({ upstreamPort: upstream.port, clientKey: KEYS.clientKey, upstreamKey: KEYS.upstreamKey });
  rows.push(await measure('floor', await start([...FLAGS, '--trace-gc-nvp', join(HERE, 'node-floor.mjs'), floorOpts], {}, (l) => l.port)));
  const proxyEnv = { PROXY_CONFIG: files.configFile, HOST: '127.0.0.1', PORT: '0', ADMIN_HOST: '127.0.0.1', ADMIN_PORT: '0', LOG_LEVEL: 'info' };
  rows.push(await measure('proxy', await start([...FLAGS, '--trace-gc-nvp', MAIN], proxyEnv, (l) => (l.event === 'listening' ? l.port : undefined))));
  const [floor, proxy] = rows;
  const result = {
    seconds: SECONDS,
    floorBytesPerRequest: floor.bytesPerRequest,
    proxyBytesPerRequest: proxy.bytesPerRequest,
    ratio: proxy.bytesPerRequest / floor.bytesPerRequest,
  };
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else {
    console.log(`Bytes allocated per request (--trace-gc-nvp, ${SECONDS} s of wrk -c 32 each):`);
    for (const r of rows) console.log(`  ${r.name.padEnd(6)} ${(r.bytesPerRequest / 1024).toFixed(1).padStart(6)} KB  (${r.requests} requests)`);
  }
} finally {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
