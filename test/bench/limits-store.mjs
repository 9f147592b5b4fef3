// What shared limits cost, in-process: the built dist/limits engine against a redis-server of its own on
// loopback (a free port, a temp dir, no persistence), and the memory store alone.
//   redis, N callers   N callers in a loop, each: admit (one EVALSHA, awaited), then end with the actual usage (one
//                      EVALSHA, not awaited). Admissions+settlements per second, admit latency p50/p99, the proxy's
//                      CPU and Redis's CPU per request, Redis commands per request (sent, and run inside the scripts).
//   memory             the same admit + end on the memory store: CPU per admission.
//   keys               the bytes Redis holds per key of a client with every limit (MEMORY USAGE).
// Two clients, limits set high so nothing is refused: one with all seven (the scripts' longest path), one with
// requestsPerMinute alone (nothing to settle: one command per request).
// Run: make build && node test/bench/limits-store.mjs   (LIMITS_BENCH_SECONDS, LIMITS_BENCH_CALLERS=8,32, REDIS_SERVER)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const load = createRequire(import.meta.url);
const { createLimits } = load(join(dist, 'limits', 'create.js'));
const { MemoryLimits } = load(join(dist, 'limits', 'memory.js'));
const { Plan } = load(join(dist, 'limits', 'plan.js'));
const { RedisClient } = load(join(dist, 'redis', 'client.js'));

const SECONDS = Number(process.env.LIMITS_BENCH_SECONDS ?? 5);
const CALLERS = (process.env.LIMITS_BENCH_CALLERS ?? '8,32').split(',').map(Number);
const REDIS = process.env.REDIS_SERVER || 'redis-server';
const LIMITS = {
  requestsPerMinute: 1e9,
  tokensPerMinute: 1e12,
  tokensPerDay: 1e13,
  tokensPerMonth: 1e14,
  usdPerDay: 1e6,
  usdPerMonth: 9e6,
  concurrentStreams: 1e6,
};
const PROFILES = { 'every limit': LIMITS, 'requests/min only': { requestsPerMinute: 1e9 } };
const RESERVE = { stream: false, reserve: { tokens: 250, usd: 0.0001 } };
const USED = { tokens: 310, usd: 0.000124 };
const silent = { info() {}, warn() {}, error() {} };

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis() {
  const dir = mkdtempSync(join(os.tmpdir(), 'limits-bench-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  const child = spawn(REDIS, args, { stdio: 'ignore' });
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`${REDIS} exited (${code})`))));
  exited.catch(() => {});
  const client = new RedisClient({ url: `redis://127.0.0.1:${port}`, backoff: { firstMs: 20, maxMs: 50 } });
  const deadline = Date.now() + 10_000;
  while (!client.connected) {
    if (Date.now() > deadline) throw new Error(`${REDIS} did not answer on port ${port}`);
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 20)), exited]);
  }
  const stop = async () => {
    await client.close();
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: `redis://127.0.0.1:${port}`, client, stop };
}

/** Redis's counters: commandstats (calls per command) and its CPU seconds. */
async function redisCounters(client) {
  const text = String(await client.send(['INFO', 'everything']));
  const calls = {};
  for (const [, name, n] of text.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls[name] = Number(n);
  const cpu = Number(/^used_cpu_user:([\d.]+)/m.exec(text)[1]) + Number(/^used_cpu_sys:([\d.]+)/m.exec(text)[1]);
  return { calls, cpu };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function runRedis(redis, callers, profile) {
  const engine = createLimits({
    config: {
      redis: { url: { kind: 'value', value: redis.url }, urlSetting: 'bench', display: redis.url, keyPrefix: 'bench:', timeoutMs: 1000 },
      onStoreError: 'local',
      prices: {},
      overridden: {},
    },
    clients: [{ name: 'bob', limits: PROFILES[profile] }],
    env: {},
    log: silent,
  });
  while (engine.state() !== 'connected') await new Promise((resolve) => setTimeout(resolve, 10));
  const drained = async () => {
    while (engine.link.client.queued > 0 || engine.pending.size > 0) await new Promise((resolve) => setImmediate(resolve));
  };
  let measuring = false;
  let running = true;
  let local = 0;
  const latencies = [];
  const caller = async () => {
    while (running) {
      const started = performance.now();
      const verdict = await engine.admit('bob', RESERVE);
      if (measuring) latencies.push(performance.now() - started);
      if (!verdict.ok) throw new Error(`refused: ${JSON.stringify(verdict)}`);
      if (engine.state() !== 'connected') local++;
      verdict.ticket.end(USED);
    }
  };
  const loops = Array.from({ length: callers }, caller);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // warm-up: script loaded, JIT settled
  await redis.client.send(['CONFIG', 'RESETSTAT']);
  const before = await redisCounters(redis.client);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  measuring = true;
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  measuring = false;
  running = false;
  await Promise.all(loops);
  await drained(); // every settlement answered: the run counts them in its time
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const after = await redisCounters(redis.client);
  await engine.close();
  const requests = latencies.length;
  latencies.sort((a, b) => a - b);
  const sent = (after.calls.evalsha ?? 0) + (after.calls.eval ?? 0);
  const inScripts = Object.entries(after.calls)
    .filter(([name]) => !['evalsha', 'eval', 'info', 'config|resetstat'].includes(name))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    profile,
    callers,
    requestsPerSecond: requests / elapsed,
    p50ms: percentile(latencies, 0.5),
    p99ms: percentile(latencies, 0.99),
    proxyCpuUsPerRequest: (cpu.user + cpu.system) / requests,
    redisCpuUsPerRequest: ((after.cpu - before.cpu) * 1e6) / requests,
    sentPerRequest: sent / requests,
    inScriptsPerRequest: inScripts / requests,
    local,
  };
}

function runMemory() {
  const store = new MemoryLimits([new Plan('bob', LIMITS, '')]);
  const round = (n) => {
    for (let i = 0; i < n; i++) store.admit('bob', RESERVE).ticket.end(USED);
  };
  round(200_000); // warm-up
  const results = [];
  for (let r = 0; r < 5; r++) {
    const n = 1_000_000;
    const cpu = process.cpuUsage();
    round(n);
    const used = process.cpuUsage(cpu);
    results.push(((used.user + used.system) * 1000) / n);
  }
  results.sort((a, b) => a - b);
  return { nsPerAdmission: results[2] };
}

/** MEMORY USAGE of each key of a client with every limit, one stream open, after a request. */
async function keySizes(redis) {
  const engine = createLimits({
    config: {
      redis: { url: { kind: 'value', value: redis.url }, urlSetting: 'bench', display: redis.url, keyPrefix: 'openai-proxy:', timeoutMs: 1000 },
      onStoreError: 'local',
      prices: {},
      overridden: {},
    },
    clients: [{ name: 'team-billing-prod', limits: LIMITS }],
    env: {},
    log: silent,
  });
  while (engine.state() !== 'connected') await new Promise((resolve) => setTimeout(resolve, 10));
  const stream = await engine.admit('team-billing-prod', { stream: true, reserve: RESERVE.reserve });
  const keys = await redis.client.send(['KEYS', 'openai-proxy:{team-billing-prod}:*']);
  const sizes = {};
  for (const key of keys.sort()) sizes[key] = await redis.client.send(['MEMORY', 'USAGE', key, 'SAMPLES', '0']);
  stream.ticket.end(USED);
  await engine.close();
  return sizes;
}

const redis = await startRedis();
try {
  const rows = [];
  for (const profile of Object.keys(PROFILES)) for (const callers of CALLERS) rows.push(await runRedis(redis, callers, profile));
  const memory = runMemory();
  const sizes = await keySizes(redis);
  console.log(`Limits store, one engine, loopback redis-server (${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores), ${SECONDS} s per row`);
  console.log('client             callers  admit+end/s  p50 ms  p99 ms  proxy CPU us/req  Redis CPU us/req  sent/req  run in scripts/req');
  for (const r of rows) {
    const cells = [
      r.profile.padEnd(17),
      String(r.callers).padStart(7),
      r.requestsPerSecond.toFixed(0).padStart(11),
      r.p50ms.toFixed(3).padStart(6),
      r.p99ms.toFixed(3).padStart(6),
      r.proxyCpuUsPerRequest.toFixed(1).padStart(16),
      r.redisCpuUsPerRequest.toFixed(1).padStart(16),
      r.sentPerRequest.toFixed(2).padStart(8),
      r.inScriptsPerRequest.toFixed(1).padStart(19),
    ];
    console.log(cells.join('  ') + (r.local > 0 ? `  (${r.local} decided locally: Redis too slow)` : ''));
  }
  console.log(`memory store: ${memory.nsPerAdmission.toFixed(0)} ns CPU per admit + end`);
  console.log('keys of a client with every limit (one stream open), bytes (MEMORY USAGE):');
  for (const [key, bytes] of Object.entries(sizes)) console.log(`  ${key}  ${bytes}`);
} finally {
  await redis.stop();
}
