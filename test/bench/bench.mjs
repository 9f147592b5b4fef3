// `make bench`: the proxy side by side with the floor of a Node proxy (node-floor.mjs), nginx and no proxy at
// all ("direct"), in one run, on loopback. The proxy runs as deployed with every feature on: access log at info
// to a pipe (read here, as a container runtime reads it), metrics, the usage tap, clients with limits,
// ServiceAccount callers, a fallback upstream configured (never used: the primary answers) and stream usage at
// its default (auto). Beside it, the same proxy without the fallback (proxy-nofallback), the same with its limits
// shared through a redis-server started here (proxy-limits-redis), and the same process called with a
// ServiceAccount token instead of a key (proxy-sa-token).
// Requests/s, CPU per request and latency at one connection are measured in paired rounds (wrk-rounds.mjs):
// each round runs every row once, back to back, and each comparison is the median of its per-round ratios with
// their spread. Then SSE streams, large bodies, a WebSocket echo session, and the stream-usage rewrite's cost
// per chunk (stream-usage.mjs, in a process of its own) and the bytes allocated per request (allocation.mjs). Results: tables on stdout with the targets as ratios,
// JSON in bench-results/.
// Settings (env): BENCH_QUICK=1 (~2 min smoke run), BENCH_PAIRS (rounds of the requests/s and latency phases,
// default 8), BENCH_SECONDS, BENCH_LATENCY_SECONDS, BENCH_ROUNDS (of the SSE and WebSocket phases),
// BENCH_STREAMS, BENCH_FRAMES, BENCH_TRANSFER_MIB, BENCH_WS_MIB (per WebSocket run), BENCH_WARN_ROW=1 (add the
// proxy at LOG_LEVEL=warn, to show what the access log costs), BENCH_NGINX_ACCESS_LOG=0 (nginx without its
// access log), BENCH_SA_ROW=0 (skip the ServiceAccount token row), BENCH_REDIS_ROW=0 (skip the shared-limits
// row), BENCH_PROXY_MAIN=<path to another build's main.js> (to compare two builds of the proxy against the same
// nginx and floor, e.g. before and after a change), BENCH_BASELINE_MAIN=<another build's main.js> (adds it as a
// "baseline" row to the requests/s and latency phases of this run, with the proxy's config file: before and after
// in one run, under the same conditions), BENCH_MEMORY_LIMIT=0 (run the Node processes without the chart's memory
// limit; see memoryLimit below), BENCH_NODE_FLAGS='<flags>' (instead of the image CMD's Node flags; '' for none).
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import * as L from './lib.mjs';
import { printTable, targets } from './report.mjs';
import { proxyConfigFiles } from './proxy-config.mjs';
import { authCost } from './auth-cost.mjs';
import { restingRoundTripMs, startRedis } from './redis.mjs';
import { paired, pairedRounds, proxyCounts, upstreamConnections, wrk, wrkCommand } from './wrk-rounds.mjs';
import { parse as parseYaml } from 'yaml';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const env = process.env;
const quick = env.BENCH_QUICK === '1';
const num = (name, full, fast) => Number(env[name] ?? (quick ? fast : full));
const cfg = {
  quick,
  pairs: num('BENCH_PAIRS', 8, 3),
  seconds: num('BENCH_SECONDS', 5, 2),
  latencySeconds: num('BENCH_LATENCY_SECONDS', 3, 1),
  rounds: num('BENCH_ROUNDS', 3, 1),
  connections: 32,
  threads: 2,
  streams: num('BENCH_STREAMS', 5000, 1000),
  frames: num('BENCH_FRAMES', 10, 4),
  intervalMs: 500,
  transferMiB: num('BENCH_TRANSFER_MIB', 1024, 256),
  wsMiB: num('BENCH_WS_MIB', 512, 64),
  wsMessageBytes: 16 * 1024,
  wsWindow: 64,
  streamUsage: { rounds: num('BENCH_STREAM_USAGE_ROUNDS', 9, 3), streams: num('BENCH_STREAM_USAGE_STREAMS', 200, 60) },
  warnRow: env.BENCH_WARN_ROW === '1',
  serviceAccountRow: env.BENCH_SA_ROW !== '0',
  redisRow: env.BENCH_REDIS_ROW !== '0',
  nginxAccessLog: env.BENCH_NGINX_ACCESS_LOG !== '0',
};
cfg.rampMs = Math.min(2000, Math.max(200, cfg.streams / 2.5));
/** How this run was started, as the report prints it: the BENCH_* settings and the command. */
const INVOCATION = [
  ...Object.entries(env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .map(([k, v]) => `${k}=${/^[\w./:-]*$/.test(v) ? v : `'${v}'`}`),
  env.MAKELEVEL ? 'make bench' : 'node test/bench/bench.mjs',
].join(' ');
const PROXY_MAIN = env.BENCH_PROXY_MAIN ?? join(ROOT, 'dist', 'main.js');
const PROXY_KEY = 'bench-client-key-0123456789';
const OPENAI_KEY = 'sk-bench-upstream-key-0123456789';
const PAYGO_KEY = 'sk-bench-fallback-key-0123456789';
// Every SSE stream is two sockets in nginx and in the proxy; plus headroom for listeners, logs, wrk.
const NOFILE = 2 * cfg.streams + 2048;

/**
 * The chart's default memory limit for the proxy container, which every Node process here (the floor, the
 * proxy, the baseline) runs under, each in a memory cgroup of its own: Node sizes V8's heap from it, as it does
 * in the Pod, so memory is measured as deployed and the floor is held to the same rules.
 */
const memoryLimit = (() => {
  const quantity = parseYaml(readFileSync(join(ROOT, 'chart', 'values.yaml'), 'utf8')).proxy.resources.limits.memory;
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(String(quantity));
  if (!m) throw new Error(`chart/values.yaml: proxy.resources.limits.memory ${JSON.stringify(quantity)} is not understood`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 }[m[2]] ?? 1;
  return { quantity: String(quantity), bytes: Number(m[1]) * unit, wanted: env.BENCH_MEMORY_LIMIT !== '0' };
})();
/** The Node flags the image's CMD gives the proxy, given here to every Node process measured (the floor too). */
const NODE_FLAGS_FROM = env.BENCH_NODE_FLAGS === undefined ? "the image's CMD" : 'BENCH_NODE_FLAGS';
const NODE_FLAGS = (() => {
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const argv = cmd ? JSON.parse(cmd[1]) : [];
  if (argv[0] !== 'node' || !argv.includes('dist/main.js')) throw new Error(`Dockerfile: CMD is not ["node", ...flags, "dist/main.js"]: ${cmd?.[1]}`);
  return env.BENCH_NODE_FLAGS === undefined ? argv.slice(1, argv.indexOf('dist/main.js')) : env.BENCH_NODE_FLAGS.split(' ').filter(Boolean);
})();
const cgroups = {};
/** The cgroup `name` runs in, or undefined (BENCH_MEMORY_LIMIT=0, or no memory cgroup can be made here). */
function cgroupFor(name) {
  if (!memoryLimit.wanted) return undefined;
  cgroups[name] ??= L.memoryCgroup(`openai-proxy-bench-${process.pid}-${name}`, memoryLimit.bytes) ?? null;
  return cgroups[name] ?? undefined;
}

/** The heap limit V8 chooses for a Node process in `cgroup` (or without one). */
function heapLimitMiB(cgroup) {
  const script = 'console.log(require("v8").getHeapStatistics().heap_size_limit)';
  const r = cgroup
    ? spawnSync('/bin/sh', ['-c', `${cgroup.enter} && exec "$0" "$@"`, process.execPath, ...NODE_FLAGS, '-e', script])
    : spawnSync(process.execPath, [...NODE_FLAGS, '-e', script]);
  return Number(String(r.stdout).trim()) / 2 ** 20;
}

const tmp = mkdtempSync(join(os.tmpdir(), 'openai-proxy-bench-'));
chmodSync(tmp, 0o755); // nginx workers may run as an unprivileged user and create temp dirs in here

async function startUpstream(name) {
  const child = L.startChild(name, process.execPath, [join(HERE, 'upstream.mjs')], { env, nofile: NOFILE });
  const { port } = await L.firstJsonLine(child, name);
  return { pid: child.pid, origin: `http://127.0.0.1:${port}` };
}

/** The floor: node-floor.mjs, the least a key-swapping proxy on node:http does per request. */
async function startFloor(upstream) {
  const opts = { upstreamPort: Number(new URL(upstream.origin).port), clientKey: PROXY_KEY, upstreamKey: OPENAI_KEY };
  const child = L.startChild('floor', process.execPath, [...NODE_FLAGS, join(HERE, 'node-floor.mjs'), JSON.stringify(opts)], {
    env,
    nofile: NOFILE,
    cgroup: cgroupFor('floor'),
  });
  const { port } = await L.firstJsonLine(child, 'floor');
  return { pid: child.pid, origin: `http://127.0.0.1:${port}` };
}

/**
 * The proxy with one of the bench's config files (proxy-config.mjs). A config it refuses (a setting this build
 * does not know) gives { refused: problems } instead of a process.
 */
async function startProxy(configFile, logLevel, main = PROXY_MAIN, role = 'proxy') {
  // At LOG_LEVEL=warn the "listening" line is not logged, so that proxy gets a free port chosen here.
  const quiet = logLevel !== 'info' && logLevel !== 'debug';
  const port = quiet ? await L.freePort() : 0;
  const proxyEnv = {
    PATH: env.PATH,
    // A build copied outside the repository (BENCH_BASELINE_MAIN) finds its runtime packages here.
    NODE_PATH: join(ROOT, 'node_modules'),
    PROXY_CONFIG: configFile,
    HOST: '127.0.0.1',
    PORT: String(port),
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    LOG_LEVEL: logLevel,
    MAX_BODY_BYTES: String(4 * 2 ** 30),
  };
  const child = L.startChild(`${role} (LOG_LEVEL=${logLevel}, ${main})`, process.execPath, [...NODE_FLAGS, main], {
    nofile: NOFILE,
    env: proxyEnv,
    cgroup: cgroupFor(role),
  });
  if (quiet) {
    let dead = false;
    child.on('exit', () => (dead = true));
    child.stdout.resume();
    if (!(await L.waitForPort(port, 10_000, () => dead))) throw new Error(`proxy (LOG_LEVEL=${logLevel}) did not listen on ${port}\n${child.stderrTail}`);
    return { pid: child.pid, origin: `http://127.0.0.1:${port}` };
  }
  // Lines the start may log first (a limits store connecting) are skipped; warnings and errors are not.
  let connectedFirst = false;
  const line = await L.firstJsonLine(child, role, 15_000, (l) => {
    if (l.event === 'limits_store_connected') connectedFirst = true;
    return l.event === 'listening' || l.event === 'config_invalid' || l.level !== 'info';
  });
  if (line.event === 'config_invalid') {
    // It exits after saying so; gone, its cgroup can be removed.
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    return { refused: line.problems };
  }
  if (line.event !== 'listening') throw new Error(`${role}: unexpected first line ${JSON.stringify(line)}`);
  // Warnings and errors in its log would mean the bench drove it into failures worth a look.
  const logProblems = { warn: 0, error: 0, last: [] };
  const proxy = {
    pid: child.pid,
    origin: `http://127.0.0.1:${line.port}`,
    admin: `http://127.0.0.1:${line.adminPort}`,
    logProblems,
    storeConnected: connectedFirst,
  };
  child.stdout.on('data', (chunk) => {
    const text = String(chunk);
    if (!proxy.storeConnected && text.includes('"limits_store_connected"')) proxy.storeConnected = true;
    for (const m of text.matchAll(/^.*"level":"(warn|error)".*$/gm)) {
      logProblems[m[1]]++;
      logProblems.last = [...logProblems.last.slice(-4), m[0].slice(0, 300)];
    }
  });
  return proxy;
}

async function startNginx(nginxBin, upstream) {
  const template = readFileSync(join(HERE, 'nginx.conf.template'), 'utf8');
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await L.freePort();
    const values = {
      DIR: tmp,
      NOFILE,
      WORKER_CONNECTIONS: NOFILE,
      PORT: port,
      UPSTREAM_PORT: new URL(upstream.origin).port,
      PROXY_KEY,
      OPENAI_KEY,
      ACCESS_LOG: cfg.nginxAccessLog ? `${tmp}/access.log` : 'off',
    };
    writeFileSync(
      join(tmp, 'nginx.conf'),
      template.replace(/\{\{(\w+)\}\}/g, (_, k) => String(values[k])),
    );
    const child = L.startChild('nginx', nginxBin, ['-p', tmp, '-e', `${tmp}/error.log`, '-c', `${tmp}/nginx.conf`], { env, nofile: NOFILE });
    let dead = false;
    child.on('exit', () => (dead = true));
    if (await L.waitForPort(port, 5000, () => dead)) {
      await L.sleep(200);
      const worker = L.childPids(child.pid)[0];
      return { pid: child.pid, worker, origin: `http://127.0.0.1:${port}` };
    }
    // Another process took the port between freePort() and nginx's bind: try another.
    L.log(`nginx did not start on port ${port} (attempt ${attempt}): ${readFileSync(`${tmp}/error.log`, 'utf8').trim().split('\n').pop()}`);
    child.kill('SIGTERM');
  }
  throw new Error('nginx would not start');
}

async function client(opts, timeoutMs) {
  const out = await L.runToEnd(`client ${opts.mode}`, process.execPath, [join(HERE, 'client.mjs'), JSON.stringify({ key: PROXY_KEY, ...opts })], {
    env,
    nofile: NOFILE,
    timeoutMs,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

/**
 * Rounds of the SSE client over direct, nginx and the proxy, interleaved. Per target: frames and failures
 * summed over rounds, delay percentiles and CPU the median of the rounds, RSS the max.
 */
async function sseRounds(targets, upstream, nginx, floor, proxy) {
  const cpuPid = { direct: upstream.pid, nginx: nginx.worker, floor: floor.pid, proxy: proxy.pid };
  const rounds = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  const timeoutMs = cfg.rampMs + cfg.frames * cfg.intervalMs + 60_000;
  const rssBeforeMiB = L.memoryMiB(proxy.pid).rss;
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const [name, t] of Object.entries(targets)) {
      const cpuBefore = L.cpuSeconds(cpuPid[name]);
      const { result, maxRss } = await withRss([proxy.pid, nginx.worker, floor.pid], () =>
        client({ mode: 'sse', origin: t.origin, streams: cfg.streams, frames: cfg.frames, intervalMs: cfg.intervalMs, rampMs: cfg.rampMs }, timeoutMs),
      );
      rounds[name].push({ ...result, cpuSeconds: L.cpuSeconds(cpuPid[name]) - cpuBefore, maxRssMiB: name === 'direct' ? undefined : maxRss[cpuPid[name]] });
      L.log(
        `  round ${round} ${name.padEnd(6)} frames ${result.receivedFrames}/${result.expectedFrames}, delay p50 ${result.delayMs.p50?.toFixed(2)} ms ` +
          `p99 ${result.delayMs.p99?.toFixed(2)} ms, failures ${JSON.stringify(result.failures)}` +
          (name === 'direct' ? '' : `, RSS max ${maxRss[cpuPid[name]].toFixed(1)} MiB`),
      );
      await L.sleep(1000); // let the closed sockets' timers and the proxy's pool settle between targets
    }
  }
  const sum = (rs, key) => rs.reduce((a, r) => a + r[key], 0);
  return Object.fromEntries(
    Object.entries(rounds).map(([name, rs]) => [
      name,
      {
        expectedFrames: sum(rs, 'expectedFrames'),
        receivedFrames: sum(rs, 'receivedFrames'),
        lostFrames: sum(rs, 'lostFrames'),
        failures: rs.reduce((acc, r) => {
          for (const [k, v] of Object.entries(r.failures)) acc[k] = (acc[k] ?? 0) + v;
          return acc;
        }, {}),
        delayMs: Object.fromEntries(['p50', 'p90', 'p99', 'max'].map((p) => [p, L.median(rs.map((r) => r.delayMs[p]))])),
        cpuSeconds: L.median(rs.map((r) => r.cpuSeconds)),
        maxRssMiB: name === 'direct' ? undefined : Math.max(...rs.map((r) => r.maxRssMiB)),
        ...(name === 'proxy' && { rssBeforeMiB }),
        rounds: rs,
      },
    ]),
  );
}

/** Runs `fn` while sampling the RSS of `pids`; returns its result with the max RSS seen per process. */
async function withRss(pids, fn) {
  const sampler = L.sampleRss(pids.filter(Boolean));
  try {
    const result = await fn();
    return { result, maxRss: sampler.stop() };
  } finally {
    sampler.stop();
  }
}

function machine(tools, redis) {
  // Both print their version on stderr or stdout, and wrk exits 1 after doing so.
  const version = (cmd, args) => {
    const r = spawnSync(cmd, args);
    return `${r.stdout}${r.stderr}`;
  };
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    node: process.version,
    loadAvg: { start: loadAtStart, end: os.loadavg()[0].toFixed(2) },
    nginx: version(tools.nginx, ['-v']).trim().replace('nginx version: ', ''),
    wrk: version(tools.wrk, ['-v']).split(' Copyright')[0].trim(),
    redis: redis?.version && `redis ${redis.version}`,
  };
}

/**
 * WebSocket echo sessions, direct and through the proxy, alternating (cfg.rounds each): MB/s echoed, and the
 * CPU of the proxy and of the upstream per MB (MB = 10^6 bytes of messages sent; each crosses the proxy twice).
 */
async function websocketRounds(upstream, proxy) {
  const targets = { direct: upstream, proxy };
  const runs = { direct: [], proxy: [] };
  const totalBytes = cfg.wsMiB * 2 ** 20;
  for (let round = 0; round < cfg.rounds; round++) {
    for (const name of round % 2 === 0 ? ['direct', 'proxy'] : ['proxy', 'direct']) {
      const cpu = { proxy: L.cpuSeconds(proxy.pid), upstream: L.cpuSeconds(upstream.pid) };
      const { result, maxRss } = await withRss([proxy.pid], () =>
        client({ mode: 'ws', origin: targets[name].origin, messageBytes: cfg.wsMessageBytes, totalBytes, window: cfg.wsWindow }, 330_000),
      );
      const mb = result.bytes / 1e6;
      const run = {
        ...result,
        proxyCpuMsPerMB: name === 'proxy' ? ((L.cpuSeconds(proxy.pid) - cpu.proxy) * 1000) / mb : undefined,
        upstreamCpuMsPerMB: ((L.cpuSeconds(upstream.pid) - cpu.upstream) * 1000) / mb,
        proxyMaxRssMiB: name === 'proxy' ? maxRss[proxy.pid] : undefined,
      };
      runs[name].push(run);
      L.log(
        `  round ${round + 1} ${name.padEnd(6)} ${result.mbPerSec.toFixed(0)} MB/s, ${result.messages} messages echoed` +
          `${result.error ? ` ERROR ${result.error}` : ''}${name === 'proxy' ? `, proxy CPU ${run.proxyCpuMsPerMB.toFixed(2)} ms/MB, RSS max ${run.proxyMaxRssMiB.toFixed(1)} MiB` : ''}`,
      );
    }
  }
  const med = (rs, key) => L.spread(rs.map((r) => r[key]))?.median;
  return {
    messageBytes: cfg.wsMessageBytes,
    totalBytes,
    window: cfg.wsWindow,
    direct: { mbPerSec: med(runs.direct, 'mbPerSec'), upstreamCpuMsPerMB: med(runs.direct, 'upstreamCpuMsPerMB'), rounds: runs.direct },
    proxy: {
      mbPerSec: med(runs.proxy, 'mbPerSec'),
      proxyCpuMsPerMB: med(runs.proxy, 'proxyCpuMsPerMB'),
      upstreamCpuMsPerMB: med(runs.proxy, 'upstreamCpuMsPerMB'),
      maxRssMiB: Math.max(...runs.proxy.map((r) => r.proxyMaxRssMiB)),
      rounds: runs.proxy,
    },
    ratio: L.spread(runs.proxy.map((r, i) => r.mbPerSec / runs.direct[i].mbPerSec)),
    errors: [...runs.direct, ...runs.proxy].filter((r) => r.error).map((r) => r.error),
  };
}

/** stream-usage.mjs in a process of its own, when nothing else runs: its figures, in-process CPU time. */
async function streamUsagePhase() {
  const out = await L.runToEnd('stream-usage', process.execPath, [join(HERE, 'stream-usage.mjs'), '--json'], {
    env: { ...env, STREAM_USAGE_ROUNDS: String(cfg.streamUsage.rounds), STREAM_USAGE_STREAMS: String(cfg.streamUsage.streams) },
    timeoutMs: 300_000,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

/** allocation.mjs: bytes allocated per request by the floor and the proxy, each alone under wrk (its own processes). */
async function allocationPhase() {
  const out = await L.runToEnd('allocation', process.execPath, [join(HERE, 'allocation.mjs'), '--json'], {
    env: { ...env, ALLOC_SECONDS: String(cfg.seconds), ALLOC_NODE_FLAGS: NODE_FLAGS.join(' '), ALLOC_PROXY_MAIN: PROXY_MAIN },
    nofile: NOFILE,
    timeoutMs: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

/** Waits until a proxy with a limits store has said it is connected; false after `ms`. */
async function storeConnected(proxy, ms = 10_000) {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await L.sleep(50)) if (proxy.storeConnected) return true;
  return false;
}

/** The shared-limits row's proxy and Redis, or why there is none. */
async function startRedisRow(tools, files) {
  if (!cfg.redisRow) return { note: 'skipped: BENCH_REDIS_ROW=0' };
  const redis = await startRedis(tools.redis, tmp);
  files.addRedis(redis.url);
  const proxy = await startProxy(files.configFiles['proxy-limits-redis'], 'info', PROXY_MAIN, 'proxy-limits-redis');
  if (proxy.refused) {
    const problems = proxy.refused.map((p) => `${p.setting}: ${p.message}`).join('; ');
    throw new Error(`proxy-limits-redis: the proxy refused its config (${problems})`);
  }
  if (!(await storeConnected(proxy))) throw new Error(`proxy-limits-redis: no limits_store_connected line within 10 s (Redis at ${redis.url})`);
  return { redis, proxy };
}

async function main() {
  const tools = L.ensureTools();
  const [soft, hard] = L.nofileLimits();
  L.nofilePrefix(NOFILE); // fails now, not halfway, if the streams cannot have their sockets
  L.log(`open files: soft ${soft}, hard ${hard}; children get at least ${NOFILE} (${cfg.streams} streams x 2 + headroom)`);
  L.log(`${os.cpus().length} CPUs: wrk, nginx, the proxies, Redis, the fake upstream and the clients all share them`);
  const upstream = await startUpstream('upstream');
  const paygo = await startUpstream('paygo');
  const nginx = await startNginx(tools.nginx, upstream);
  const floor = await startFloor(upstream);
  const files = proxyConfigFiles(tmp, {
    upstreamOrigin: upstream.origin,
    fallbackOrigin: paygo.origin,
    upstreamKey: OPENAI_KEY,
    fallbackKey: PAYGO_KEY,
    clientKey: PROXY_KEY,
  });
  const started = {};
  for (const role of ['proxy', 'proxy-nofallback']) {
    started[role] = await startProxy(files.configFiles[role], 'info', PROXY_MAIN, role);
    if (started[role].refused) throw new Error(`${role}: the proxy refused its config: ${JSON.stringify(started[role].refused)}`);
  }
  const { proxy, 'proxy-nofallback': proxyNoFallback } = started;
  const redisRow = await startRedisRow(tools, files);
  if (redisRow.note) L.log(`proxy-limits-redis: ${redisRow.note}`);
  const proxyWarn = cfg.warnRow ? await startProxy(files.configFile, 'warn', PROXY_MAIN, 'proxy-warn') : null;
  const baseline = env.BENCH_BASELINE_MAIN ? await startProxy(files.configFile, 'info', env.BENCH_BASELINE_MAIN, 'baseline') : null;
  if (baseline?.refused) throw new Error(`baseline: ${env.BENCH_BASELINE_MAIN} refused the proxy's config: ${JSON.stringify(baseline.refused)}`);
  const limited = cgroupFor('proxy');
  memoryLimit.applied = Boolean(limited);
  memoryLimit.heapLimitMiB = heapLimitMiB(limited);
  L.log(`the floor and the proxies run with the Node flags ${NODE_FLAGS.join(' ') || '(none)'} (${NODE_FLAGS_FROM})`);
  L.log(
    limited
      ? `the Node processes run in memory cgroups limited to ${memoryLimit.quantity} (the chart's default): V8's heap limit ${memoryLimit.heapLimitMiB.toFixed(0)} MiB`
      : `the Node processes run without a memory limit (${memoryLimit.wanted ? 'no memory cgroup can be made here' : 'BENCH_MEMORY_LIMIT=0'}): V8's heap limit ${memoryLimit.heapLimitMiB.toFixed(0)} MiB`,
  );
  L.log(
    `upstream ${upstream.origin} (fallback ${paygo.origin}), nginx ${nginx.origin} (worker pid ${nginx.worker}), floor ${floor.origin} (pid ${floor.pid}), ` +
      `proxy ${proxy.origin} (pid ${proxy.pid}), proxy-nofallback ${proxyNoFallback.origin}` +
      (redisRow.proxy ? `, proxy-limits-redis ${redisRow.proxy.origin} (Redis ${redisRow.redis.url}, pid ${redisRow.redis.pid})` : ''),
  );

  const auth = cfg.serviceAccountRow ? await authCost(dirname(PROXY_MAIN), { PROXY_CONFIG: files.configFile }, { key: PROXY_KEY, ...files }) : null;
  if (auth)
    L.log(
      `auth in-process: key ${auth.keyNs.toFixed(0)} ns, cached token ${auth.cachedTokenNs.toFixed(0)} ns, first sight of a token ${(auth.firstTokenNs / 1000).toFixed(1)} us`,
    );

  await L.sleep(1000);
  const idle = L.memoryMiB(proxy.pid);
  const floorIdle = L.memoryMiB(floor.pid);
  L.log(`idle proxy RSS ${idle.rss.toFixed(1)} MiB`);

  const asRow = (p) => ({ origin: p.origin, cpuPid: p.pid, admin: p.admin });
  const rows = {
    direct: { origin: upstream.origin },
    nginx: { origin: nginx.origin, cpuPid: nginx.worker },
    floor: { origin: floor.origin, cpuPid: floor.pid },
    proxy: asRow(proxy),
    'proxy-nofallback': asRow(proxyNoFallback),
    ...(redisRow.proxy && { 'proxy-limits-redis': { ...asRow(redisRow.proxy), redis: redisRow.redis } }),
    // The same process as "proxy": only the credential differs.
    ...(cfg.serviceAccountRow && { 'proxy-sa-token': { ...asRow(proxy), bearer: files.token } }),
    ...(proxyWarn && { 'proxy-warn': { origin: proxyWarn.origin, cpuPid: proxyWarn.pid } }),
    ...(baseline && { baseline: asRow(baseline) }),
  };
  const w = { bin: tools.wrk, dir: HERE, key: PROXY_KEY, nofile: NOFILE };
  L.log('warm-up (1 s each, not counted)');
  for (const t of Object.values(rows)) await wrk(w, t.origin, cfg.connections, cfg.threads, 1, t.bearer);

  const names = Object.keys(rows);
  L.log(
    `requests/s: ${cfg.pairs} paired rounds x ${cfg.seconds} s per row, ${cfg.connections} connections, ${cfg.threads} wrk threads; rows ${names.join(', ')}`,
  );
  const rps = await pairedRounds(w, rows, { connections: cfg.connections, threads: cfg.threads, seconds: cfg.seconds, pairs: cfg.pairs, upstream });
  L.log(`latency at 1 connection: ${cfg.pairs} paired rounds x ${cfg.latencySeconds} s per row`);
  const latency1 = await pairedRounds(w, rows, { connections: 1, threads: 1, seconds: cfg.latencySeconds, pairs: cfg.pairs, upstream });
  if (redisRow.redis) redisRow.redis.restingRoundTripMs = await restingRoundTripMs(redisRow.redis.port);
  const comparisons = [
    ...names.filter((n) => n !== 'floor').map((n) => [n, 'floor']),
    ...names.filter((n) => n !== 'nginx' && n !== 'direct').map((n) => [n, 'nginx']),
    ...names.filter((n) => n !== 'direct').map((n) => [n, 'direct']),
    ['proxy', 'proxy-nofallback'],
    ['proxy-limits-redis', 'proxy'],
    ['proxy-sa-token', 'proxy'],
    ['proxy', 'proxy-warn'],
    ['proxy', 'baseline'],
  ];
  const pairedBy = (phase) => Object.fromEntries(comparisons.map(([a, b]) => [`${a}/${b}`, paired(phase, a, b)]).filter(([, c]) => c));

  L.log(`SSE: ${cfg.rounds} rounds x ${cfg.streams} concurrent streams x ${cfg.frames} frames every ${cfg.intervalMs} ms (opened over ${cfg.rampMs} ms)`);
  const sse = await sseRounds({ direct: upstream, nginx, floor, proxy }, upstream, nginx, floor, proxy);

  L.log(`transfers: ${cfg.transferMiB} MiB up and down, direct / nginx / proxy`);
  const transfer = { upload: {}, download: {} };
  const bytes = cfg.transferMiB * 2 ** 20;
  for (const mode of ['upload', 'download']) {
    for (const [name, t] of Object.entries({ direct: upstream, nginx, proxy })) {
      const rssBefore = L.memoryMiB(proxy.pid).rss;
      const { result, maxRss } = await withRss([proxy.pid], () => client({ mode, origin: t.origin, bytes }, 330_000));
      transfer[mode][name] = {
        ...result,
        ...(name === 'proxy' && { rssBeforeMiB: rssBefore, maxRssMiB: maxRss[proxy.pid], hwmMiB: L.memoryMiB(proxy.pid).hwm }),
      };
      L.log(
        `  ${mode.padEnd(8)} ${name.padEnd(6)} ${result.mibPerSec.toFixed(0)} MiB/s${result.error ? ` ERROR ${result.error}` : ''}${name === 'proxy' ? `, proxy RSS max ${maxRss[proxy.pid].toFixed(1)} MiB` : ''}`,
      );
    }
  }

  L.log(`WebSocket echo on /v1/realtime: ${cfg.rounds} rounds x ${cfg.wsMiB} MiB in ${cfg.wsMessageBytes / 1024} KiB text messages, direct / proxy`);
  const websocket = await websocketRounds(upstream, proxy);

  // Past the proxy's 4 s upstream keep-alive, so pooled sockets are gone: what is left is the heap. The
  // stream-usage phase runs meanwhile: it is CPU time in a process of its own, and the proxies are idle.
  L.log(`stream usage, inject vs passthrough, in-process: ${cfg.streamUsage.rounds} rounds x ${cfg.streamUsage.streams} streams (stream-usage.mjs)`);
  const [streamUsage] = await Promise.all([streamUsagePhase(), L.sleep(5000)]);
  const idleAfter = L.memoryMiB(proxy.pid);
  const counted = await proxyCounts(proxy.admin);
  L.log(`the proxy's metrics counted ${counted.requests} requests, ${counted.refusedByLimits} refused by a limit (429), ${counted.fallbacks} fallbacks`);
  const fallbackUpstream = { connections: await upstreamConnections(paygo), fallbacks: counted.fallbacks };
  const redisCounted = redisRow.proxy && (await proxyCounts(redisRow.proxy.admin));
  L.log(`bytes allocated per request, floor and proxy each alone, wrk -c ${cfg.connections} for ${cfg.seconds} s (allocation.mjs)`);
  const allocation = await allocationPhase();

  const errorLog = readFileSync(join(tmp, 'error.log'), 'utf8').trim().split('\n').filter(Boolean);
  const problems = {
    proxyLog: proxy.logProblems,
    otherProxyLogs: Object.fromEntries(
      Object.entries({ 'proxy-nofallback': proxyNoFallback, 'proxy-limits-redis': redisRow.proxy, baseline })
        .filter(([, p]) => p?.logProblems)
        .map(([n, p]) => [n, p.logProblems]),
    ),
    nginxErrorLog: { lines: errorLog.length, last: errorLog.slice(-5) },
  };
  memoryLimit.cgroups = Object.fromEntries(
    Object.entries(cgroups)
      .filter(([, c]) => c)
      .map(([name, c]) => [name, { peakMiB: c.peakMiB(), oomKills: c.oomKills() }]),
  );
  const results = {
    invocation: INVOCATION,
    commands: {
      rps: wrkCommand(cfg.connections, cfg.threads, cfg.seconds),
      latency1: wrkCommand(1, 1, cfg.latencySeconds),
      websocket: `node test/bench/client.mjs '{"mode":"ws","messageBytes":${cfg.wsMessageBytes},"totalBytes":${websocket.totalBytes},"window":${cfg.wsWindow},...}'`,
      streamUsage: `STREAM_USAGE_ROUNDS=${cfg.streamUsage.rounds} STREAM_USAGE_STREAMS=${cfg.streamUsage.streams} node test/bench/stream-usage.mjs`,
      allocation: `ALLOC_SECONDS=${cfg.seconds} node test/bench/allocation.mjs`,
    },
    nodeFlags: NODE_FLAGS,
    nodeFlagsFrom: NODE_FLAGS_FROM,
    memoryLimit,
    startedAt: new Date(startedAt).toISOString(),
    durationS: (Date.now() - startedAt) / 1000,
    machine: machine(tools, redisRow.redis),
    config: cfg,
    proxyMain: PROXY_MAIN,
    rows: names,
    redisRow: { note: redisRow.note, url: redisRow.redis?.url, counted: redisCounted, restingRoundTripMs: redisRow.redis?.restingRoundTripMs },
    fallbackUpstream,
    idle: { rssMiB: idle.rss, floorRssMiB: floorIdle.rss, rssAfterRunMiB: idleAfter.rss, hwmAfterRunMiB: idleAfter.hwm },
    auth,
    rps,
    latency1,
    paired: { rps: pairedBy(rps), latency1: pairedBy(latency1) },
    sse,
    transfer,
    websocket,
    streamUsage,
    allocation,
    counted,
    problems,
    image: L.imageFootprint(join(ROOT, 'image-results')),
  };
  results.targets = targets(results);
  printTable(results);
  const dir = join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}.json`);
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(join(dir, 'latest.json'), json);
  L.log(`wrote ${file} and bench-results/latest.json`);
}

const startedAt = Date.now();
// Everything shares the cores: a figure taken on a busy machine says so.
const loadAtStart = os.loadavg()[0].toFixed(2);
let exiting = false;
async function shutdown(code) {
  if (exiting) return;
  exiting = true;
  await L.cleanup();
  for (const cgroup of Object.values(cgroups)) cgroup?.remove();
  rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => {
  L.log('interrupted; stopping everything');
  shutdown(130);
});
process.on('SIGTERM', () => shutdown(143));
process.on('exit', L.killAllNow);
main().then(
  () => shutdown(0),
  (err) => {
    if (!exiting) console.error(`[bench] failed: ${err.stack ?? err}`);
    shutdown(1);
  },
);
