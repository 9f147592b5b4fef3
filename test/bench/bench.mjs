// `make bench`: the proxy side by side with the floor of a Node proxy (node-floor.mjs), nginx and no proxy at
// all ("direct"), in one run, on loopback. Rounds are interleaved (direct, nginx, floor, proxy, direct, ...)
// so drift in the machine hits them all alike; each figure is the median over rounds. The proxy runs as a
// user runs it: access log at info to a pipe (read here, as a container runtime reads it), metrics, the usage
// tap, and a config file whose clients have limits; the "proxy-sa-token" row is the same process called with a
// Kubernetes ServiceAccount token instead of a key. Results: a table on stdout with the targets as ratios, JSON
// in bench-results/.
// Settings (env): BENCH_QUICK=1 (~1 min smoke run), BENCH_SECONDS, BENCH_LATENCY_SECONDS, BENCH_ROUNDS,
// BENCH_STREAMS, BENCH_FRAMES, BENCH_TRANSFER_MIB, BENCH_WARN_ROW=1 (add the proxy at LOG_LEVEL=warn, to show
// what the access log costs), BENCH_NGINX_ACCESS_LOG=0 (nginx without its access log), BENCH_SA_ROW=0 (skip the
// ServiceAccount token row), BENCH_PROXY_MAIN=<path to another build's main.js> (to compare two builds of the
// proxy against the same nginx and floor, e.g. before and after a change), BENCH_BASELINE_MAIN=<another build's
// main.js> (adds it as a "baseline" row to the requests/s and latency phases of this run: before and after in
// one run, under the same conditions), BENCH_MEMORY_LIMIT=0 (run the Node processes without the chart's memory
// limit; see memoryLimit below), BENCH_NODE_FLAGS='<flags>' (instead of the image CMD's Node flags; '' for none).
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import * as L from './lib.mjs';
import { printTable, targets } from './report.mjs';
import { proxyConfigFiles } from './proxy-config.mjs';
import { authCost } from './auth-cost.mjs';
import { parse as parseYaml } from 'yaml';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const env = process.env;
const quick = env.BENCH_QUICK === '1';
const num = (name, full, fast) => Number(env[name] ?? (quick ? fast : full));
const cfg = {
  quick,
  seconds: num('BENCH_SECONDS', 10, 3),
  latencySeconds: num('BENCH_LATENCY_SECONDS', 5, 2),
  rounds: num('BENCH_ROUNDS', 3, 1),
  connections: 32,
  threads: 2,
  streams: num('BENCH_STREAMS', 5000, 1000),
  frames: num('BENCH_FRAMES', 10, 4),
  intervalMs: 500,
  transferMiB: num('BENCH_TRANSFER_MIB', 1024, 256),
  warnRow: env.BENCH_WARN_ROW === '1',
  serviceAccountRow: env.BENCH_SA_ROW !== '0',
  nginxAccessLog: env.BENCH_NGINX_ACCESS_LOG !== '0',
};
cfg.rampMs = Math.min(2000, Math.max(200, cfg.streams / 2.5));
const PROXY_MAIN = env.BENCH_PROXY_MAIN ?? join(ROOT, 'dist', 'main.js');
const PROXY_KEY = 'bench-client-key-0123456789';
const OPENAI_KEY = 'sk-bench-upstream-key-0123456789';
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

async function startUpstream() {
  const child = L.startChild('upstream', process.execPath, [join(HERE, 'upstream.mjs')], { env, nofile: NOFILE });
  const { port } = await L.firstJsonLine(child, 'upstream');
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

/** The proxy with the bench's config file (upstream, its key, clients with limits, ServiceAccounts). */
async function startProxy(configFile, logLevel, main = PROXY_MAIN, role = 'proxy') {
  // At LOG_LEVEL=warn the "listening" line is not logged, so that proxy gets a free port chosen here.
  const quiet = logLevel !== 'info' && logLevel !== 'debug';
  const port = quiet ? await L.freePort() : 0;
  const proxyEnv = {
    PATH: env.PATH,
    PROXY_CONFIG: configFile,
    HOST: '127.0.0.1',
    PORT: String(port),
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    LOG_LEVEL: logLevel,
    MAX_BODY_BYTES: String(4 * 2 ** 30),
  };
  const child = L.startChild(`proxy (LOG_LEVEL=${logLevel}, ${main})`, process.execPath, [...NODE_FLAGS, main], {
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
  const line = await L.firstJsonLine(child, 'proxy');
  if (line.event !== 'listening') throw new Error(`proxy: unexpected first line ${JSON.stringify(line)}`);
  // Warnings and errors in its log would mean the bench drove it into failures worth a look.
  const logProblems = { warn: 0, error: 0, last: [] };
  child.stdout.on('data', (chunk) => {
    for (const m of String(chunk).matchAll(/^.*"level":"(warn|error)".*$/gm)) {
      logProblems[m[1]]++;
      logProblems.last = [...logProblems.last.slice(-4), m[0].slice(0, 300)];
    }
  });
  return { pid: child.pid, origin: `http://127.0.0.1:${line.port}`, admin: `http://127.0.0.1:${line.adminPort}`, logProblems };
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

async function wrk(wrkBin, origin, connections, threads, seconds, bearer = '') {
  const out = await L.runToEnd(
    'wrk',
    wrkBin,
    ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '5s', '-s', join(HERE, 'post.lua'), `${origin}/v1/chat/completions`],
    { env: { ...env, BENCH_KEY: PROXY_KEY, BENCH_BEARER: bearer }, nofile: NOFILE, timeoutMs: (seconds + 30) * 1000 },
  );
  const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const r = JSON.parse(line.slice('BENCH_JSON '.length));
  const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
  return {
    rps: r.requests / (r.durationUs / 1e6),
    requests: r.requests,
    errors,
    errorDetail: r.errors,
    p50Ms: r.latencyUs.p50 / 1000,
    p90Ms: r.latencyUs.p90 / 1000,
    p99Ms: r.latencyUs.p99 / 1000,
    maxMs: r.latencyUs.max / 1000,
  };
}

/** Rounds of wrk over every target, interleaved; CPU seconds per request for the processes doing the job. */
async function wrkRounds(wrkBin, targets, connections, threads, seconds, upstream) {
  const rounds = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const [name, t] of Object.entries(targets)) {
      // The scrape is the proxy's work too: done before its CPU is read, so it is not counted as the requests'.
      const gcBefore = t.admin && (await youngGc(t.admin));
      const cpuBefore = t.cpuPid ? L.cpuSeconds(t.cpuPid) : 0;
      const connsBefore = await upstreamConnections(upstream);
      const r = await wrk(wrkBin, t.origin, connections, threads, seconds, t.bearer);
      if (t.cpuPid) r.cpuUsPerRequest = ((L.cpuSeconds(t.cpuPid) - cpuBefore) * 1e6) / r.requests;
      if (gcBefore) {
        const gcAfter = await youngGc(t.admin);
        r.scavengesPer1k = ((gcAfter.count - gcBefore.count) * 1000) / r.requests;
        r.scavengeUsPerRequest = ((gcAfter.seconds - gcBefore.seconds) * 1e6) / r.requests;
      }
      r.upstreamConnections = (await upstreamConnections(upstream)) - connsBefore;
      rounds[name].push(r);
      L.log(
        `  round ${round} ${name.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(3)} ms  p99 ${r.p99Ms.toFixed(3)} ms  errors ${r.errors}`,
      );
    }
  }
  const summary = {};
  for (const [name, rs] of Object.entries(rounds)) {
    const pick = (key) => (rs[0][key] === undefined ? undefined : L.median(rs.map((r) => r[key])));
    summary[name] = {
      rps: pick('rps'),
      p50Ms: pick('p50Ms'),
      p99Ms: pick('p99Ms'),
      cpuUsPerRequest: pick('cpuUsPerRequest'),
      scavengesPer1k: pick('scavengesPer1k'),
      scavengeUsPerRequest: pick('scavengeUsPerRequest'),
      upstreamConnections: pick('upstreamConnections'),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      rounds: rs,
    };
  }
  return summary;
}

/** Connections the fake upstream has accepted so far, not counting the ones these queries opened. */
let statsQueries = 0;
function upstreamConnections(upstream) {
  // A fresh connection per query (agent: false), so each query adds exactly one to subtract.
  return new Promise((resolve, reject) => {
    const req = http.get(`${upstream.origin}/bench/stats`, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d)).on('end', () => resolve(JSON.parse(body).connections - ++statsQueries));
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('upstream stats timed out')));
  });
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

function scrape(admin) {
  return new Promise((resolve, reject) => {
    http
      .get(`${admin}/metrics`, (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (d) => (body += d))
          .on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** The young-generation collections (scavenges) a proxy has made so far, from its own GC metric. */
async function youngGc(admin) {
  const text = await scrape(admin);
  const value = (suffix) => Number(new RegExp(`^nodejs_gc_duration_seconds_${suffix}\\{kind="minor"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { count: value('count'), seconds: value('sum') };
}

/** What the proxy's own metrics say it served: they are on, as in any deployment, and the limits refused nothing. */
async function proxyCounts(admin) {
  const text = await scrape(admin);
  const lines = text.split('\n').filter((l) => l.startsWith('openai_proxy_requests_total{'));
  const sum = (ls) => ls.reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { requests: sum(lines), refusedByLimits: sum(lines.filter((l) => l.includes('status="429"'))) };
}

function machine(tools) {
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
  };
}

async function main() {
  const tools = L.ensureTools();
  const [soft, hard] = L.nofileLimits();
  L.nofilePrefix(NOFILE); // fails now, not halfway, if the streams cannot have their sockets
  L.log(`open files: soft ${soft}, hard ${hard}; children get at least ${NOFILE} (${cfg.streams} streams x 2 + headroom)`);
  L.log(`${os.cpus().length} CPUs: wrk, nginx, the proxy, the fake upstream and the clients all share them`);
  const upstream = await startUpstream();
  const nginx = await startNginx(tools.nginx, upstream);
  const floor = await startFloor(upstream);
  const files = proxyConfigFiles(tmp, upstream.origin, OPENAI_KEY, PROXY_KEY);
  const proxy = await startProxy(files.configFile, 'info');
  const proxyWarn = cfg.warnRow ? await startProxy(files.configFile, 'warn', PROXY_MAIN, 'proxy-warn') : null;
  const baseline = env.BENCH_BASELINE_MAIN ? await startProxy(files.configFile, 'info', env.BENCH_BASELINE_MAIN, 'baseline') : null;
  const limited = cgroupFor('proxy');
  memoryLimit.applied = Boolean(limited);
  memoryLimit.heapLimitMiB = heapLimitMiB(limited);
  L.log(`the floor and the proxy run with the Node flags ${NODE_FLAGS.join(' ') || '(none)'} (${NODE_FLAGS_FROM})`);
  L.log(
    limited
      ? `the Node processes run in memory cgroups limited to ${memoryLimit.quantity} (the chart's default): V8's heap limit ${memoryLimit.heapLimitMiB.toFixed(0)} MiB`
      : `the Node processes run without a memory limit (${memoryLimit.wanted ? 'no memory cgroup can be made here' : 'BENCH_MEMORY_LIMIT=0'}): V8's heap limit ${memoryLimit.heapLimitMiB.toFixed(0)} MiB`,
  );
  L.log(
    `upstream ${upstream.origin}, nginx ${nginx.origin} (worker pid ${nginx.worker}), floor ${floor.origin} (pid ${floor.pid}), proxy ${proxy.origin} (pid ${proxy.pid})`,
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

  const targetsRps = {
    direct: { origin: upstream.origin },
    nginx: { origin: nginx.origin, cpuPid: nginx.worker },
    floor: { origin: floor.origin, cpuPid: floor.pid },
    proxy: { origin: proxy.origin, cpuPid: proxy.pid, admin: proxy.admin },
    ...(proxyWarn && { 'proxy-warn': { origin: proxyWarn.origin, cpuPid: proxyWarn.pid } }),
    ...(baseline && { baseline: { origin: baseline.origin, cpuPid: baseline.pid, admin: baseline.admin } }),
    // The same process as "proxy": only the credential differs.
    ...(cfg.serviceAccountRow && { 'proxy-sa-token': { origin: proxy.origin, cpuPid: proxy.pid, admin: proxy.admin, bearer: files.token } }),
  };
  L.log('warm-up (1 s each, not counted)');
  for (const t of Object.values(targetsRps)) await wrk(tools.wrk, t.origin, cfg.connections, cfg.threads, 1, t.bearer);

  L.log(`requests/s: ${cfg.rounds} rounds x ${cfg.seconds} s, ${cfg.connections} connections, ${cfg.threads} wrk threads`);
  const rps = await wrkRounds(tools.wrk, targetsRps, cfg.connections, cfg.threads, cfg.seconds, upstream);
  L.log(`latency at 1 connection: ${cfg.rounds} rounds x ${cfg.latencySeconds} s`);
  const latency1 = await wrkRounds(tools.wrk, targetsRps, 1, 1, cfg.latencySeconds, upstream);

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
  // Past the proxy's 4 s upstream keep-alive, so pooled sockets are gone: what is left is the heap.
  await L.sleep(5000);
  const idleAfter = L.memoryMiB(proxy.pid);
  const counted = await proxyCounts(proxy.admin);
  L.log(`the proxy's metrics counted ${counted.requests} requests, ${counted.refusedByLimits} refused by a limit (429)`);

  const errorLog = readFileSync(join(tmp, 'error.log'), 'utf8').trim().split('\n').filter(Boolean);
  const problems = { proxyLog: proxy.logProblems, nginxErrorLog: { lines: errorLog.length, last: errorLog.slice(-5) } };
  memoryLimit.cgroups = Object.fromEntries(
    Object.entries(cgroups)
      .filter(([, c]) => c)
      .map(([name, c]) => [name, { peakMiB: c.peakMiB(), oomKills: c.oomKills() }]),
  );
  const results = {
    nodeFlags: NODE_FLAGS,
    nodeFlagsFrom: NODE_FLAGS_FROM,
    memoryLimit,
    startedAt: new Date(startedAt).toISOString(),
    durationS: (Date.now() - startedAt) / 1000,
    machine: machine(tools),
    config: cfg,
    proxyMain: PROXY_MAIN,
    idle: { rssMiB: idle.rss, floorRssMiB: floorIdle.rss, rssAfterRunMiB: idleAfter.rss, hwmAfterRunMiB: idleAfter.hwm },
    auth,
    rps,
    latency1,
    sse,
    transfer,
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
