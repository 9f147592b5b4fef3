// The requests/s and latency phases of `make bench`: wrk over every row in paired rounds, and what each run
// cost the process doing the job (CPU, young-generation GC, upstream connections, Redis's share).
//
// A round runs every row once, back to back; odd rounds run them in reverse order (ABBA), so the floor and the
// proxy are always neighbours and neither always goes first. The machine's speed drifts by a third within
// minutes, which moves every row of a round alike: a ratio taken within one round (proxy / floor, measured
// seconds apart) keeps little of that drift, where a ratio of medians over the whole phase keeps it all. Each
// comparison is therefore the median of its per-round ratios, reported with their spread.
import http from 'node:http';
import { join } from 'node:path';
import * as L from './lib.mjs';
import { callsPerRequest, commandCalls } from './redis.mjs';

/** One wrk run: the small chat completion of post.lua over `connections` for `seconds`. */
export async function wrk(w, origin, connections, threads, seconds, bearer = '') {
  const out = await L.runToEnd('wrk', w.bin, wrkArgs(w, origin, connections, threads, seconds), {
    env: { ...process.env, BENCH_KEY: w.key, BENCH_BEARER: bearer },
    nofile: w.nofile,
    timeoutMs: (seconds + 30) * 1000,
  });
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

function wrkArgs(w, origin, connections, threads, seconds) {
  return [
    '-t',
    String(threads),
    '-c',
    String(connections),
    '-d',
    `${seconds}s`,
    '--timeout',
    '5s',
    '-s',
    join(w.dir, 'post.lua'),
    `${origin}/v1/chat/completions`,
  ];
}

/** The command line of a phase's runs, as the report prints it (the origin is each row's own). */
export function wrkCommand(connections, threads, seconds) {
  return `wrk ${wrkArgs({ dir: 'test/bench' }, '<row>', connections, threads, seconds).join(' ')}`;
}

/**
 * `pairs` rounds of wrk over every row of `rows` ({name: {origin, cpuPid, admin, bearer, redis}}). Per row: the
 * median of each figure and every run; comparisons between rows come from paired() on the runs.
 */
export async function pairedRounds(w, rows, { connections, threads, seconds, pairs, upstream }) {
  const names = Object.keys(rows);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let pair = 0; pair < pairs; pair++) {
    const order = pair % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const r = await measure(w, rows[name], connections, threads, seconds, upstream);
      runs[name][pair] = r;
      L.log(
        `  round ${pair + 1} ${name.padEnd(18)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(3)} ms  p99 ${r.p99Ms.toFixed(3)} ms` +
          `${r.cpuUsPerRequest === undefined ? '' : `  CPU ${r.cpuUsPerRequest.toFixed(1)} us/req`}  errors ${r.errors}`,
      );
    }
  }
  return Object.fromEntries(Object.entries(runs).map(([name, rs]) => [name, summarise(rs)]));
}

async function measure(w, t, connections, threads, seconds, upstream) {
  // The scrape is the proxy's work too: done before its CPU is read, so it is not counted as the requests'.
  const gcBefore = t.admin && (await youngGc(t.admin));
  const redisBefore = t.redis && { calls: await commandCalls(t.redis.port), cpu: L.cpuSeconds(t.redis.pid) };
  const cpuBefore = t.cpuPid ? L.cpuSeconds(t.cpuPid) : 0;
  const connsBefore = await upstreamConnections(upstream);
  const r = await wrk(w, t.origin, connections, threads, seconds, t.bearer);
  if (t.cpuPid) r.cpuUsPerRequest = ((L.cpuSeconds(t.cpuPid) - cpuBefore) * 1e6) / r.requests;
  if (redisBefore) {
    const cpuUs = (L.cpuSeconds(t.redis.pid) - redisBefore.cpu) * 1e6;
    r.redis = { ...callsPerRequest(redisBefore.calls, await commandCalls(t.redis.port), r.requests), cpuUsPerRequest: cpuUs / r.requests };
  }
  if (gcBefore) {
    const gcAfter = await youngGc(t.admin);
    r.scavengesPer1k = ((gcAfter.count - gcBefore.count) * 1000) / r.requests;
    r.scavengeUsPerRequest = ((gcAfter.seconds - gcBefore.seconds) * 1e6) / r.requests;
  }
  r.upstreamConnections = (await upstreamConnections(upstream)) - connsBefore;
  return r;
}

function summarise(rs) {
  const pick = (get) => L.spread(rs.map(get))?.median;
  return {
    rps: pick((r) => r.rps),
    p50Ms: pick((r) => r.p50Ms),
    p99Ms: pick((r) => r.p99Ms),
    cpuUsPerRequest: pick((r) => r.cpuUsPerRequest),
    scavengesPer1k: pick((r) => r.scavengesPer1k),
    scavengeUsPerRequest: pick((r) => r.scavengeUsPerRequest),
    upstreamConnections: pick((r) => r.upstreamConnections),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    ...(rs[0].redis && {
      redis: {
        sent: pick((r) => r.redis.sent),
        others: pick((r) => r.redis.others),
        total: pick((r) => r.redis.total),
        cpuUsPerRequest: pick((r) => r.redis.cpuUsPerRequest),
        byCommand: Object.fromEntries(Object.keys(rs[0].redis.byCommand).map((c) => [c, pick((r) => r.redis.byCommand[c] ?? 0)])),
      },
    }),
    rounds: rs,
  };
}

/**
 * Row `a` against row `b` of one phase, round by round: the spread of a/b for requests/s and CPU per request,
 * and of a - b for p50 and p99. Undefined when either row is missing.
 */
export function paired(phase, a, b) {
  const ra = phase[a]?.rounds;
  const rb = phase[b]?.rounds;
  if (!ra || !rb) return undefined;
  const each = (get) => L.spread(ra.map((r, i) => get(r, rb[i])));
  return {
    of: a,
    to: b,
    pairs: ra.length,
    rps: each((x, y) => x.rps / y.rps),
    cpu: each((x, y) => x.cpuUsPerRequest / y.cpuUsPerRequest),
    p50DiffMs: each((x, y) => x.p50Ms - y.p50Ms),
    p99DiffMs: each((x, y) => x.p99Ms - y.p99Ms),
  };
}

/** Connections the fake upstream has accepted so far, not counting the ones these queries opened. */
const statsQueries = new Map();
export function upstreamConnections(upstream) {
  // A fresh connection per query (agent: false), so each query adds exactly one to subtract.
  return new Promise((resolve, reject) => {
    const req = http.get(`${upstream.origin}/bench/stats`, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res
        .on('data', (d) => (body += d))
        .on('end', () => {
          const queries = (statsQueries.get(upstream.origin) ?? 0) + 1;
          statsQueries.set(upstream.origin, queries);
          resolve(JSON.parse(body).connections - queries);
        });
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error('upstream stats timed out')));
  });
}

export function scrape(admin, path = '/metrics') {
  return new Promise((resolve, reject) => {
    http
      .get(`${admin}${path}`, (res) => {
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
export async function proxyCounts(admin) {
  const text = await scrape(admin);
  const lines = text.split('\n').filter((l) => l.startsWith('openai_proxy_requests_total{'));
  const sum = (ls) => ls.reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const fallbacks = text.split('\n').filter((l) => l.startsWith('openai_proxy_fallbacks_total{'));
  return { requests: sum(lines), refusedByLimits: sum(lines.filter((l) => l.includes('status="429"'))), fallbacks: sum(fallbacks) };
}
