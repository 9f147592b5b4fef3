// `make soak`: about a minute of mixed traffic at high concurrency through the real built proxy, on loopback,
// then the sustained-load checks: open fds back to where they started, inflight back to 0, heap
// after GC within a few MB of its baseline, no 5xx but the ones the fake upstream was told to send, every status
// accounted for (the soak's count of each kind's outcomes against the proxy's metrics and the upstream's own
// count), a client key rotated mid-soak without one valid-key request refused, every per-client stream slot
// free again, no key in any output or response, and SIGTERM under load draining to exit 0. Not part of
// `make test` (it takes over a minute).
//
// Phases: start the fake upstream (test/soak/upstream.mjs, TLS with the test CA) and the proxy (dist/main.js
// under test/soak/gc-preload.cjs, keys from files); warm up with every kind of request, so lazily created state
// (JIT code, metric series, TLS sessions) is in the baseline; settle and take the baseline; soak, rotating a
// key (rotation.mjs); settle and measure; check the stream slots; open long streams with the mix still running
// and send SIGTERM (streams.mjs). Prints a table and writes it as JSON to soak-results/; exits 1 with every
// failed check listed if any fails. The request kinds and what each must end with are in traffic.mjs.
//
// Settings (env):
//   SOAK_SECONDS        length of the soak phase, default 60 (the key rotation needs about 15 s; a shorter
//                       setting runs the traffic until the rotation is done)
//   SOAK_CONCURRENCY    concurrent client workers, default 128
//   SOAK_MODE           multi (default: a config file with clients alice, rotated, and bob, with limits) or
//                       single (PROXY_X_API_KEY_FILE, rotated)
//   SOAK_SEED           seed of the traffic mix (default: random, printed; the same seed draws the same kinds
//                       and sizes, though timing still differs from run to run)
//   SOAK_WARMUP_SECONDS warm-up before the baseline, default 5
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import * as L from '../bench/lib.mjs';
import { CA_PEM, ROOT, SoakProxy, get, sumOf } from './proxy.mjs';
import { KINDS, Tally, guardKeys, picker, responseLeaks, rng } from './traffic.mjs';
import { drainOnSigterm, streamSlotsFree } from './streams.mjs';
import { Rotation, writeSecretDir } from './rotation.mjs';
import { printTable, summarise } from './report.mjs';

const env = process.env;
const cfg = {
  seconds: Number(env.SOAK_SECONDS ?? 60),
  concurrency: Number(env.SOAK_CONCURRENCY ?? 128),
  mode: env.SOAK_MODE ?? 'multi',
  seed: Number(env.SOAK_SEED ?? randomBytes(4).readUInt32LE()),
  warmupSeconds: Number(env.SOAK_WARMUP_SECONDS ?? 5),
  shutdownGraceMs: 20_000,
  drainStreams: 32,
};
/**
 * The proxy keeps no fd per request once it is over, so the count must come back exactly. One fd of slack: the
 * key files are re-read every 2 s with fs.promises, and a read in progress holds an fd for a moment; a leak
 * of one fd per thousand requests would still be dozens over.
 */
const FD_TOLERANCE = 1;
/** Heap after GC may differ by what a GC leaves in flux (young objects, code caches); a leak grows by far more. */
const HEAP_TOLERANCE_MIB = 4;
const MiB = 1024 * 1024;

const log = (msg) => console.log(`[soak] ${msg}`);
const checks = [];
const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });

const key = (prefix) => `${prefix}-${randomBytes(16).toString('hex')}`;
const keys = {
  upstream: key('sk-soak-upstream'),
  rotatedOld: key('pk-soak-rotated-old'),
  rotatedNew: key('pk-soak-rotated-new'),
  static: key('pk-soak-static'),
  // Never valid: one looks like an OpenAI project key, which must not be forwarded either.
  wrong: key('pk-soak-wrong'),
  wrongOpenai: `sk-proj-${randomBytes(24).toString('hex')}`,
};

const fingerprint = (k) => createHash('sha256').update(k).digest('hex').slice(0, 8);
const redact = (text) => Object.values(keys).reduce((t, k) => t.replaceAll(k, `<key ${fingerprint(k)}>`), text);

async function main() {
  const tmp = mkdtempSync(join(os.tmpdir(), 'openai-proxy-soak-'));
  // A proxy that never stops serving would keep the last phase's workers going forever.
  const watchdog = setTimeout(
    () => {
      console.error('[soak] watchdog: the soak did not finish in time; killing everything');
      L.killAllNow();
      process.exit(1);
    },
    (cfg.warmupSeconds + Math.max(cfg.seconds, 30) + 180) * 1000,
  );
  watchdog.unref();
  try {
    return await soak(tmp);
  } finally {
    await L.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function soak(tmp) {
  log(`${cfg.seconds} s, ${cfg.concurrency} workers, ${cfg.mode}-tenant, seed ${cfg.seed}`);
  guardKeys(keys);
  const s = await startStack(tmp);
  log(`warming up for ${cfg.warmupSeconds} s`);
  await s.run(cfg.warmupSeconds, false);
  s.fd.base = (await settle(s.proxy, s.upstreamStats)).fd;
  const heapBase = await s.proxy.memoryAfterGc();

  log(`soaking for ${cfg.seconds} s`);
  const load = await soakPhase(s);
  log('traffic stopped; settling');
  const settled = await settle(s.proxy, s.upstreamStats);
  Object.assign(s.fd, { after: settled.fd, kindsAfter: settled.kinds });
  const heap = { base: heapBase, after: await s.proxy.memoryAfterGc(), toleranceMiB: HEAP_TOLERANCE_MIB };
  const rss = L.memoryMiB(s.proxy.pid);
  const metrics = await s.proxy.metrics();
  checkAfterTraffic({ ...s, metrics, heap });

  const slots = cfg.mode === 'multi' ? await streamSlotsFree(s.proxy.port, keys.static, streamLimit(), s.tally) : undefined;
  for (const c of slots?.checks ?? []) check(...c);
  log(`${cfg.drainStreams} streams open and traffic running, then SIGTERM`);
  const drain = await sigtermUnderLoad(s);
  const up = await s.upstreamStats();
  checkUpstream(s.tally, up);
  return finish(
    {
      cfg,
      ...load,
      tally: s.tally,
      fd: s.fd,
      heap,
      rss,
      settleMs: settled.ms,
      up,
      metrics,
      rotation: s.rotation.report(),
      slots: slots?.report,
      drain: drain.report,
    },
    s.proxy,
  );
}

/** The fake upstream, the proxy, and what every phase shares. */
async function startStack(tmp) {
  const upstream = L.startChild('upstream', process.execPath, [join(ROOT, 'test', 'soak', 'upstream.mjs')], {
    env: { PATH: env.PATH, SOAK_UPSTREAM_KEY: keys.upstream },
  });
  const { port: upstreamPort } = await L.firstJsonLine(upstream, 'upstream');
  const secrets = join(tmp, 'secrets');
  const proxy = new SoakProxy(proxyEnv(tmp, secrets, upstreamPort), keys);
  await proxy.started();
  const fd = { start: proxy.fdCount(), tolerance: FD_TOLERANCE, kindsAtStart: proxy.fdKinds() };
  check('readiness 200 at start', (await proxy.admin('/readyz')).status === 200);
  const random = rng(cfg.seed);
  const tally = new Tally();
  const rotation = new Rotation(secrets, keys, cfg, proxy, random, tally);
  const traffic = { port: proxy.port, tally, random, bytes: randomBytes(4 * MiB), clients: cfg.mode === 'multi' ? ['rotated', 'static'] : ['rotated'] };
  return {
    proxy,
    fd,
    tally,
    rotation,
    traffic,
    upstreamPort,
    upstreamStats: async () => JSON.parse((await getTls(upstreamPort, '/soak/stats')).text),
    run: (seconds, withRotation) => drive({ ...traffic, seconds, rotation: withRotation ? rotation : undefined, runRotation: withRotation }),
  };
}

/** The soak proper, with the key rotation; returns its throughput figures. */
async function soakPhase(s) {
  const samples = { inflightPeak: 0 };
  const sampler = setInterval(
    () =>
      s.proxy.metrics().then(
        (m) => (samples.inflightPeak = Math.max(samples.inflightPeak, sumOf(m, 'openai_proxy_inflight_requests'))),
        () => {},
      ),
    1000,
  );
  const cpuBefore = L.cpuSeconds(s.proxy.pid);
  const start = performance.now();
  const before = s.tally.total();
  await s.run(cfg.seconds, true);
  clearInterval(sampler);
  return { soakSeconds: (performance.now() - start) / 1000, soakRequests: s.tally.total() - before, cpu: L.cpuSeconds(s.proxy.pid) - cpuBefore, samples };
}

/** Long streams plus the usual mix, then SIGTERM: what the proxy took in must be answered right. */
async function sigtermUnderLoad(s) {
  const failuresBefore = s.tally.failures;
  let sigtermSent = false;
  const traffic = drive({ ...s.traffic, seconds: Infinity, rotation: s.rotation, stopping: () => sigtermSent });
  const drain = await drainOnSigterm(s.proxy, keys.rotatedNew, cfg.drainStreams, cfg.shutdownGraceMs, s.tally, () => (sigtermSent = true));
  await traffic;
  for (const c of drain.checks) check(...c);
  const failed = s.tally.failures - failuresBefore;
  check('SIGTERM: every request the proxy took in answered as its kind expects', failed === 0, `${failed} did not: ${s.tally.samples.join(' | ')}`);
  const seen = JSON.parse((await getTls(s.upstreamPort, `/soak/seen?ids=${resetAtShutdown.join(',')}`)).text);
  check('SIGTERM: no request reset at shutdown had reached the upstream', seen.length === 0, `${seen.length} of ${resetAtShutdown.length} had`);
  drain.report.resetsByError = resetCodes;
  return drain;
}

/** Last checks, then the table and soak-results/*.json; resolves to the exit code. */
function finish(figures, proxy) {
  check('no key in the proxy stdout, stderr or /metrics', proxy.leaks.length === 0, proxy.leaks.slice(0, 5).join('; '));
  check('no key in any response header or body', responseLeaks.length === 0, `${responseLeaks.length} found: ${[...new Set(responseLeaks)].join(', ')} keys`);
  // Failure details quote responses; should one have carried a key, it is printed by fingerprint only.
  const results = JSON.parse(redact(JSON.stringify({ ...summarise(figures), checks })));
  mkdirSync(join(ROOT, 'soak-results'), { recursive: true });
  const file = join(ROOT, 'soak-results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  log(`results: ${file}`);
  const failed = results.checks.filter((c) => !c.ok);
  if (failed.length === 0) return 0;
  console.log(`\n[soak] ${failed.length} check(s) failed:`);
  for (const c of failed) console.log(`  - ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
  return 1;
}

function proxyEnv(tmp, secrets, upstreamPort) {
  const upstreamKeyFile = join(tmp, 'openai-api-key');
  writeFileSync(upstreamKeyFile, `${keys.upstream}\n`, { mode: 0o600 });
  writeSecretDir(secrets, { 'proxy-api-key': `${keys.rotatedOld}\n` }, 'v1');
  const common = {
    PATH: env.PATH,
    NODE_EXTRA_CA_CERTS: CA_PEM,
    OPENAI_BASE_URL: `https://127.0.0.1:${upstreamPort}`,
    HOST: '127.0.0.1',
    PORT: '0',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    SHUTDOWN_GRACE_MS: String(cfg.shutdownGraceMs),
  };
  if (cfg.mode === 'single') return { ...common, OPENAI_API_KEY_FILE: upstreamKeyFile, PROXY_X_API_KEY_FILE: join(secrets, 'proxy-api-key') };
  const staticKeyFile = join(tmp, 'static-key');
  writeFileSync(staticKeyFile, `${keys.static}\n`, { mode: 0o600 });
  const config = join(tmp, 'config.yaml');
  writeFileSync(
    config,
    [
      'upstream:',
      `  apiKey: { file: ${upstreamKeyFile} }`,
      'clients:',
      '  - name: alice',
      `    key: { file: ${join(secrets, 'proxy-api-key')} }`,
      '  - name: bob',
      `    key: { file: ${staticKeyFile} }`,
      '    headers: { OpenAI-Project: proj_soak }',
      `    limits: { concurrentStreams: ${streamLimit()}, requestsPerMinute: 1000000, tokensPerMinute: 1000000000 }`,
      'models: [gpt-4.1-mini]',
      '',
    ].join('\n'),
  );
  return { ...common, PROXY_CONFIG: config };
}

/** How a connection the proxy closed before reading the request fails: at once, or on the next body write. */
const RESET_CODES = new Set(['ECONNRESET', 'socket hang up', 'EPIPE']);
/** x-soak-request ids of the requests reset at shutdown. */
const resetAtShutdown = [];
const resetCodes = {};

/**
 * bob's concurrentStreams: never reached by the soak (each of its workers has one request open at a time), with
 * room for each worker's previous request whose close the proxy has not processed yet when the next arrives.
 */
const streamLimit = () => 2 * Math.floor(cfg.concurrency / 2);

/**
 * Runs `concurrency` workers for `seconds` (and, with `runRotation`, until the rotation is done). Each worker
 * belongs to one client and sends one request at a time, of a kind drawn from the mix. Once `stopping()`
 * (SIGTERM sent), a refused connection is expected and ends the worker. So is a reset with no response, counted
 * apart: `reset-idle`, a keep-alive connection the proxy closed as idle while this request was on its way (the
 * HTTP/1.1 keep-alive race), or `reset-new`, a connection still in the listener's accept queue when the
 * listener closed, or accepted but not read yet. Either way the proxy never read the request, so a client may
 * retry it: sigtermUnderLoad checks that none of them reached the upstream.
 */
async function drive({ port, seconds, rotation, runRotation = false, stopping = () => false, tally, random, bytes, clients }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const target = { port, agent };
  const pick = picker(random);
  const deadline = performance.now() + seconds * 1000;
  let rotating = runRotation;
  const rotationDone = runRotation ? rotation.run(target).finally(() => (rotating = false)) : undefined;
  const worker = async (id) => {
    const client = clients[id % clients.length];
    while (performance.now() < deadline || rotating) {
      const kind = pick();
      const auth = authFor(kind, client, id, rotation, random);
      const started = performance.now();
      let { outcome, problem, code, reused, id: requestId } = await KINDS[kind](target, auth.headers, random, bytes);
      auth.release();
      if (stopping() && code === 'ECONNREFUSED') return void tally.add(kind, 'refused');
      if (stopping() && RESET_CODES.has(code)) {
        [outcome, problem] = [reused ? 'reset-idle' : 'reset-new', undefined];
        resetAtShutdown.push(requestId);
        resetCodes[code] = (resetCodes[code] ?? 0) + 1;
      }
      if (outcome === '401' && auth.tag !== 'wrong') rotation?.refused(auth.tag);
      if (kind === 'json' && outcome === '200') tally.jsonMs.push(performance.now() - started);
      tally.add(kind, outcome, problem && auth.tag === 'wrong' ? problem : problem && `${problem} (client ${client}, ${auth.tag} key)`);
    }
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, (_, id) => worker(id)));
  await rotationDone;
  agent.destroy();
}

/** Headers carrying the key a worker would send now (X-API-Key or Authorization: Bearer, half each). */
function authFor(kind, client, workerId, rotation, random) {
  let key;
  let tag;
  let release = () => {};
  if (kind === 'wrongKey') [key, tag] = [random() < 0.5 ? keys.wrong : keys.wrongOpenai, 'wrong'];
  else if (client === 'static') [key, tag] = [keys.static, 'static'];
  else ({ key, tag, release } = rotation ? rotation.keyFor(workerId) : { key: keys.rotatedOld, tag: 'old', release });
  const headers = random() < 0.5 ? { 'x-api-key': key } : { authorization: `Bearer ${key}` };
  return { headers, tag, release };
}

/**
 * Waits until the proxy holds no request and no upstream socket: inflight 0, the upstream sees no open
 * connection (the proxy's idle keep-alive sockets expire after 4 s), and the fd count is steady. Returns
 * { ms, fd, kinds }: fds are read before each /metrics scrape, whose own connection would otherwise be in it.
 */
async function settle(proxy, upstreamStats, maxMs = 20_000) {
  const start = performance.now();
  let lastFd = -1;
  let fd;
  let kinds;
  while (performance.now() - start < maxMs) {
    await L.sleep(500);
    [fd, kinds] = [proxy.fdCount(), proxy.fdKinds()];
    const [metrics, up] = await Promise.all([proxy.metrics(), upstreamStats()]);
    if (sumOf(metrics, 'openai_proxy_inflight_requests') === 0 && up.openConnections === 0 && up.active === 0 && fd === lastFd) break;
    lastFd = fd;
  }
  return { ms: Math.round(performance.now() - start), fd, kinds };
}

function checkAfterTraffic({ proxy, tally, metrics, fd, heap, rotation }) {
  check(
    'open fds back to the start',
    fd.after <= fd.start + FD_TOLERANCE,
    `start ${fd.start}, after warm-up ${fd.base}, after soak ${fd.after}: ${JSON.stringify(fd.kindsAtStart)} -> ${JSON.stringify(fd.kindsAfter)}`,
  );
  check('open fds back to the baseline', fd.after <= fd.base + FD_TOLERANCE, `baseline ${fd.base}, after ${fd.after}`);
  const growth = (heap.after.heapUsed - heap.base.heapUsed) / MiB;
  check(
    `heap after GC within ${HEAP_TOLERANCE_MIB} MiB of the baseline`,
    growth <= HEAP_TOLERANCE_MIB,
    `${(heap.base.heapUsed / MiB).toFixed(1)} -> ${(heap.after.heapUsed / MiB).toFixed(1)} MiB`,
  );
  check(
    'inflight back to 0',
    sumOf(metrics, 'openai_proxy_inflight_requests') === 0,
    JSON.stringify(sumOf(metrics, 'openai_proxy_inflight_requests', 'client')),
  );
  check('every request ended as its kind expects', tally.failures === 0, `${tally.failures} did not: ${tally.samples.join(' | ')}`);
  const unexpected5xx = Object.entries(tally.counts).flatMap(([kind, row]) =>
    Object.entries(row)
      .filter(([o]) => /^5/.test(o) && kind !== 'upstream500')
      .map(([o, n]) => `${kind} ${o} x${n}`),
  );
  check("no 5xx but the upstream's own", unexpected5xx.length === 0, unexpected5xx.join(', '));
  checkProxyCounts(tally, metrics);
  check(
    'no upstream errors counted',
    sumOf(metrics, 'openai_proxy_upstream_errors_total') === 0,
    JSON.stringify(sumOf(metrics, 'openai_proxy_upstream_errors_total', 'reason')),
  );
  for (const [name, ok, detail] of rotation.checks()) check(name, ok, detail);
  const reloads = sumOf(metrics, 'openai_proxy_config_reloads_total', 'result');
  check('key file reloads: 2 successes, no failure', reloads.success === 2 && !reloads.failure, JSON.stringify(reloads));
  check('proxy wrote nothing to stderr', !proxy.events.some((e) => e.event === 'stderr'), proxy.events.find((e) => e.event === 'stderr')?.text);
}

/** Kinds the soak hangs up on before any response: the proxy counts them as 499. */
const ABANDONED_BEFORE_RESPONSE = ['abortUpload', 'abortSmallUpload', 'abortWaiting'];
const abandoned = (tally, kinds) => kinds.reduce((n, kind) => n + (tally.counts[kind]?.aborted ?? 0), 0);

/**
 * The proxy's own count of statuses must match what the soak saw. An abandoned stream counts as the 200 it had
 * begun as; a request abandoned before its response as 499, unless the soak hung up before its first bytes
 * left (a new connection still connecting): then the proxy never saw a request at all, hence "at most".
 */
function checkProxyCounts(tally, metrics) {
  const expected = {};
  for (const [kind, row] of Object.entries(tally.counts)) {
    if (ABANDONED_BEFORE_RESPONSE.includes(kind) && Object.keys(row).every((o) => o === 'aborted')) continue;
    for (const [outcome, n] of Object.entries(row)) {
      const status = kind === 'abortStream' && outcome === 'aborted' ? '200' : outcome;
      expected[status] = (expected[status] ?? 0) + n;
    }
  }
  const early = abandoned(tally, ABANDONED_BEFORE_RESPONSE);
  const counted = sumOf(metrics, 'openai_proxy_requests_total', 'status');
  const { 499: cut = 0, ...rest } = counted;
  const same = Object.keys({ ...expected, ...rest }).every((s) => (expected[s] ?? 0) === (rest[s] ?? 0));
  check(
    "proxy status counts match the soak's",
    same && cut <= early,
    `proxy ${JSON.stringify(counted)}, soak ${JSON.stringify(expected)} + ${early} abandoned before a response`,
  );
  const aborts = sumOf(metrics, 'openai_proxy_client_aborts_total');
  const streams = abandoned(tally, ['abortStream']);
  check('client aborts counted', aborts === streams + cut, `${aborts} counted, ${streams} streams abandoned + ${cut} requests answered 499`);
}

/**
 * What reached the fake upstream over the whole run, drain included: only requests with a valid key, each with
 * the upstream key and no client key; each answered request exactly once (every 200, and the 429s and 500s the
 * upstream was told to send, came from it; a request reset at shutdown must not have reached it); and the
 * abandoned ones cancelled.
 */
function checkUpstream(tally, up) {
  check(
    'upstream saw only the upstream key',
    up.wrongAuthorization === 0 && up.clientKeyHeader === 0,
    `wrong authorization ${up.wrongAuthorization}, x-api-key present ${up.clientKeyHeader}`,
  );
  const count = (kind, outcome) => tally.counts[kind]?.[outcome] ?? 0;
  const forwarded = Object.keys(tally.counts).reduce((n, kind) => n + count(kind, '200'), 0) + count('upstream429', '429') + count('upstream500', '500');
  check('every answered request reached the upstream once', up.completed === forwarded, `upstream completed ${up.completed}, soak expected ${forwarded}`);
  // Every abandoned stream was cancelled upstream; an abandoned upload or wait only if it had got that far
  // (a small body is gathered before anything is sent, so those never reach the upstream).
  const streams = abandoned(tally, ['abortStream']);
  const others = abandoned(tally, ['abortUpload', 'abortWaiting']);
  check(
    'abandoned requests cancelled upstream',
    up.cancelled >= streams && up.cancelled <= streams + others && up.active === 0,
    `upstream cancelled ${up.cancelled}, active ${up.active}; abandoned ${streams} streams, ${others} uploads and waits`,
  );
}

/** GET on the fake upstream over TLS, trusting the test CA (never turning verification off). */
function getTls(port, path) {
  return get(port, path, { ca: readFileSync(CA_PEM) });
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    console.error(`[soak] failed: ${err.stack ?? err}`);
    L.killAllNow();
    process.exit(1);
  },
);
