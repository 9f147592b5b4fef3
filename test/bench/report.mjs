// The performance targets, judged on one run's results, and the tables printed at the end of `make bench`.
const f = (v, digits = 1) => (v === undefined || v === null || Number.isNaN(v) ? '-' : v.toFixed(digits));

const KB = 1000;
const MIB = 2 ** 20;

/** (peak RSS during the streams - idle RSS after start) / streams, in KB, for the proxy and the floor. */
function perStreamKB(r, name) {
  const idle = name === 'proxy' ? r.idle.rssMiB : name === 'floor' ? r.idle.floorRssMiB : undefined;
  return idle === undefined ? undefined : ((r.sse[name].maxRssMiB - idle) * MIB) / KB / r.config.streams;
}

/** "0.91 (0.88-0.95)": a paired ratio's median and its range over the pairs. */
function ratio(s, digits = 2) {
  return s ? `${f(s.median, digits)} (${f(s.min, digits)}-${f(s.max, digits)})` : '-';
}
/** "+0.031 ms (+0.020..+0.045)": a paired difference's median and range. */
function diff(s, digits = 3) {
  const sign = (v) => `${v >= 0 ? '+' : ''}${f(v, digits)}`;
  return s ? `${sign(s.median)} ms (${sign(s.min)}..${sign(s.max)})` : '-';
}

/**
 * The targets, each as a ratio or a difference within this one run, with what was measured, the command that
 * measured it and whether it passed. Paired figures are the median over the rounds of the ratio (or difference)
 * within each round, with its range. Memory per stream is (peak RSS during the streams - idle RSS after start) /
 * streams: the idle figure is taken before any load, so whatever the earlier phases left on the heap counts
 * against the streams.
 */
export function targets(r) {
  const { rps, latency1, sse, auth, paired, commands } = r;
  const pairs = `${r.config.pairs} pairs`;
  const rpsCmd = `${commands.rps} (${pairs})`;
  const latCmd = `${commands.latency1} (${pairs})`;
  const sseCmd = `node test/bench/client.mjs '{"mode":"sse","streams":${r.config.streams},...}'`;
  const list = [];
  const add = (name, actual, pass, command) => list.push({ name, actual, pass, command });

  const pf = paired.rps['proxy/floor'];
  add(
    'requests/s >= 0.85 x the floor',
    `${ratio(pf.rps)} x (${f(rps.proxy.rps, 0)} vs ${f(rps.floor.rps, 0)} req/s; CPU/req ${ratio(pf.cpu)} x)`,
    pf.rps.median >= 0.85,
    rpsCmd,
  );
  const lf = paired.latency1['proxy/floor'];
  add(
    "p50 at 1 connection within 0.05 ms of the floor's",
    `${diff(lf.p50DiffMs)} (${f(latency1.proxy.p50Ms, 3)} vs ${f(latency1.floor.p50Ms, 3)} ms)`,
    lf.p50DiffMs.median <= 0.05,
    latCmd,
  );
  const fb = paired.rps['proxy/proxy-nofallback'];
  add(
    'fallback configured: requests/s within 3% of proxy-nofallback',
    `${ratio(fb.rps, 3)} x (${f(rps.proxy.rps, 0)} vs ${f(rps['proxy-nofallback'].rps, 0)} req/s)`,
    fb.rps.median >= 0.97,
    rpsCmd,
  );
  add(
    'fallback configured: CPU per request within 3% of proxy-nofallback',
    `${ratio(fb.cpu, 3)} x (${f(rps.proxy.cpuUsPerRequest, 1)} vs ${f(rps['proxy-nofallback'].cpuUsPerRequest, 1)} us/req)`,
    fb.cpu.median <= 1.03,
    rpsCmd,
  );
  const rr = paired.rps['proxy-limits-redis/proxy'];
  const rl = paired.latency1['proxy-limits-redis/proxy'];
  if (rr) {
    const redis = rps['proxy-limits-redis'].redis;
    add(
      'limits in Redis: requests/s >= 0.85 x limits in memory',
      `${ratio(rr.rps)} x (${f(rps['proxy-limits-redis'].rps, 0)} vs ${f(rps.proxy.rps, 0)} req/s; ` +
        `Redis ${f(redis.total, 2)} commands/req (${f(redis.sent, 2)} sent), ${f(redis.cpuUsPerRequest, 1)} us Redis CPU/req)`,
      rr.rps.median >= 0.85,
      rpsCmd,
    );
    add(
      'limits in Redis: added p50 at 1 connection <= 0.1 ms',
      `${diff(rl.p50DiffMs)} (${f(latency1['proxy-limits-redis'].p50Ms, 3)} vs ${f(latency1.proxy.p50Ms, 3)} ms; ` +
        `a bare PING to Redis at rest: ${f(r.redisRow.restingRoundTripMs, 3)} ms)`,
      rl.p50DiffMs.median <= 0.1,
      latCmd,
    );
  } else {
    list.push({ name: 'limits in Redis (proxy-limits-redis)', actual: r.redisRow?.note ?? 'not measured', pass: undefined, command: rpsCmd });
  }
  add(
    'fallback upstream never used',
    `${r.fallbackUpstream.connections} connections to paygo, ${r.fallbackUpstream.fallbacks} fallbacks`,
    r.fallbackUpstream.connections === 0,
    rpsCmd,
  );

  const al = r.allocation;
  if (al) {
    const kb = al.proxyBytesPerRequest / 1024;
    add(
      'allocation <= 28 KB per request',
      `${f(kb, 1)} KB (the floor: ${f(al.floorBytesPerRequest / 1024, 1)} KB; ${f(al.ratio, 2)} x)`,
      kb <= 28,
      r.commands.allocation,
    );
  }
  const perStream = perStreamKB(r, 'proxy');
  const peakMB = (sse.proxy.maxRssMiB * MIB) / 1e6;
  add('streams: no frame lost', `${sse.proxy.lostFrames} lost`, sse.proxy.lostFrames === 0, sseCmd);
  add(
    "streams: p99 frame delay <= nginx's",
    `${f(sse.proxy.delayMs.p99 / sse.nginx.delayMs.p99, 2)} x (${f(sse.proxy.delayMs.p99, 2)} vs ${f(sse.nginx.delayMs.p99, 2)} ms; floor ${f(sse.floor.delayMs.p99, 2)})`,
    sse.proxy.delayMs.p99 <= sse.nginx.delayMs.p99,
    sseCmd,
  );
  add('streams: memory per open stream <= 25 KB', `${f(perStream, 1)} KB (the floor: ${f(perStreamKB(r, 'floor'), 1)})`, perStream <= 25, sseCmd);
  add('streams: peak RSS <= 192 MB', `${f(peakMB, 0)} MB (${f(sse.proxy.maxRssMiB)} MiB)`, peakMB <= 192, sseCmd);
  const ws = r.websocket;
  add(
    'WebSocket echo: every message back',
    `${ws.errors.length ? ws.errors.join('; ') : 'all'} (proxy ${ratio(ws.ratio)} x direct, ${f(ws.proxy.mbPerSec, 0)} vs ${f(ws.direct.mbPerSec, 0)} MB/s)`,
    ws.errors.length === 0,
    r.commands.websocket,
  );
  if (auth) {
    const extraUs = (auth.cachedTokenNs - auth.keyNs) / 1000;
    add('cached SA token: <= 2 us more CPU than a key', `+${f(extraUs, 2)} us (in-process)`, extraUs <= 2, 'test/bench/auth-cost.mjs, in-process');
  }
  for (const s of r.image?.scenarios ?? []) {
    add(`${s.scenario}: idle container memory <= 20 MiB`, `${f(s.idleWorkingSetMiB)} MiB (image-check)`, s.idleWorkingSetMiB <= 20, 'make image-check');
    add(`${s.scenario}: start to ready <= 400 ms`, `${f(s.startToReadyMs, 0)} ms (image-check)`, s.startToReadyMs <= 400, 'make image-check');
  }
  return list;
}

/** A table with its first column (or, with `left`, every column) aligned left and the rest right. */
function table(title, head, rows, left = false) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || left ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(`\n${title}\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

export function printTable(r) {
  const m = r.machine;
  const c = r.config;
  console.log(`\n=== openai-proxy bench ${r.startedAt}${c.quick ? ' (BENCH_QUICK: smoke run, not the real numbers)' : ''} ===`);
  console.log(`proxy build: ${r.proxyMain}; Node flags ${r.nodeFlags?.join(' ') || '(none)'} (from ${r.nodeFlagsFrom})`);
  console.log(`machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB} GiB, Linux ${m.kernel}, Node ${m.node}, ${m.nginx}, ${m.wrk}`);
  console.log(`All on loopback and on the same ${m.cpus} cores: wrk, nginx (1 worker), the proxy, the fake upstream and the`);
  console.log('clients compete for CPU, so absolute numbers are context; the ratios within this run are what count.');
  console.log(
    `requests/s and latency: ${c.pairs} paired rounds; SSE, transfers and WebSocket: ${c.rounds} interleaved round(s); ` +
      `nginx access log ${c.nginxAccessLog ? "on (like the proxy's request log)" : 'off'}`,
  );

  const names = Object.keys(r.rps);
  const pr = (a, b) => r.paired.rps[`${a}/${b}`];
  const pl = (a, b) => r.paired.latency1[`${a}/${b}`];
  table(
    `Small JSON POST /v1/chat/completions: ${c.connections} connections, ${c.threads} wrk threads, ${c.seconds} s per row and round; ` +
      `x floor / x nginx: median (min-max) of the per-round ratios over ${c.pairs} paired rounds`,
    ['target', 'req/s', 'x floor', 'x nginx', 'CPU us/req', 'CPU x floor', 'p50 ms', 'p99 ms', 'scav/1k', 'scav us/req', 'up conns', 'errors'],
    names.map((n) => [
      n,
      f(r.rps[n].rps, 0),
      n === 'floor' ? '1' : ratio(pr(n, 'floor')?.rps),
      n === 'nginx' ? '1' : ratio(pr(n, 'nginx')?.rps),
      f(r.rps[n].cpuUsPerRequest, 1),
      n === 'floor' ? '1' : ratio(pr(n, 'floor')?.cpu),
      f(r.rps[n].p50Ms, 3),
      f(r.rps[n].p99Ms, 3),
      f(r.rps[n].scavengesPer1k, 1),
      f(r.rps[n].scavengeUsPerRequest, 1),
      f(r.rps[n].upstreamConnections, 0),
      r.rps[n].errors,
    ]),
  );
  console.log(
    'req/s, CPU, p50, p99: medians over the rounds; scav: young-generation collections, from the proxy\'s own nodejs_gc_duration_seconds{kind="minor"}',
  );
  console.log(`command: ${r.commands.rps}; round order ${r.rows.join(', ')}, reversed every other round`);
  if (r.auth) {
    const a = r.auth;
    console.log(
      `\nAuthenticating one request, in-process (the built proxy's caller lookup, CPU of ${a.iterations} calls each): key ${f(a.keyNs, 0)} ns, ` +
        `ServiceAccount token from the cache ${f(a.cachedTokenNs, 0)} ns (+${f(a.cachedTokenNs - a.keyNs, 0)} ns; the ${a.tokenBytes}-byte token is hashed), ` +
        `a token seen for the first time ${f(a.firstTokenNs / 1000, 1)} us (RS256 signature and claims)`,
    );
  }
  table(
    `Same request at 1 connection (wrk -c1 -t1), ${c.latencySeconds} s per row and round; added p50: median (min..max) of the per-round differences`,
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'added p50 over direct', 'over floor'],
    names.map((n) => [
      n,
      f(r.latency1[n].rps, 0),
      f(r.latency1[n].p50Ms, 3),
      f(r.latency1[n].p99Ms, 3),
      n === 'direct' ? '-' : diff(pl(n, 'direct')?.p50DiffMs),
      n === 'direct' || n === 'floor' ? '-' : diff(pl(n, 'floor')?.p50DiffMs),
    ]),
  );
  console.log(`command: ${r.commands.latency1}`);

  const comparisons = [
    ['proxy', 'floor', 'the proxy, every feature on, vs the least a Node proxy does'],
    ['proxy', 'proxy-nofallback', 'a fallback upstream configured (never used)'],
    ['proxy-limits-redis', 'proxy', 'limits shared in Redis instead of in memory'],
    ['proxy-sa-token', 'proxy', 'a cached ServiceAccount token instead of a key'],
    ['proxy', 'proxy-warn', 'the access log at info (vs warn)'],
    ['proxy', 'baseline', 'this build vs BENCH_BASELINE_MAIN'],
  ].filter(([a, b]) => pr(a, b));
  table(
    `Paired comparisons, ${c.pairs} rounds: median (min-max) of the per-round ratio; [IQR]`,
    ['comparison', 'what differs', 'req/s ratio', 'IQR', 'CPU/req ratio', 'IQR', 'p50 diff at 1 conn'],
    comparisons.map(([a, b, what]) => {
      const p = pr(a, b);
      return [
        `${a} / ${b}`,
        what,
        ratio(p.rps, 3),
        `[${f(p.rps.q1, 3)}-${f(p.rps.q3, 3)}]`,
        ratio(p.cpu, 3),
        `[${f(p.cpu.q1, 3)}-${f(p.cpu.q3, 3)}]`,
        diff(pl(a, b)?.p50DiffMs),
      ];
    }),
  );
  const fb = r.fallbackUpstream;
  console.log(`fallback upstream (paygo): ${fb.connections} connections, ${fb.fallbacks} fallbacks over the run (it is configured, never needed)`);
  const redisRps = r.rps['proxy-limits-redis']?.redis;
  if (redisRps) {
    const redis1 = r.latency1['proxy-limits-redis'].redis;
    const by = Object.entries(redisRps.byCommand)
      .map(([cmd, n]) => `${cmd} ${f(n, 2)}`)
      .join(', ');
    console.log(
      `Redis (${r.machine.redis}, loopback, ${r.redisRow.url}) per request of proxy-limits-redis: ${f(redisRps.total, 2)} commands (${f(redisRps.sent, 2)} sent as EVALSHA/EVAL, ` +
        `${f(redisRps.others, 2)} others: the scripts' own commands and any sent besides; ${by}); Redis CPU ${f(redisRps.cpuUsPerRequest, 1)} us/req at ${c.connections} connections, ` +
        `${f(redis1.cpuUsPerRequest, 1)} us/req at 1 connection (INFO commandstats and /proc/<redis pid>/stat around each run; medians over the rounds)`,
    );
  } else if (r.redisRow?.note) {
    console.log(`proxy-limits-redis: ${r.redisRow.note}`);
  }
  table(
    `${c.streams} concurrent SSE streams, ${c.frames} frames each, one every ${c.intervalMs} ms; frames summed over rounds, ` +
      "delay (arrival - send) and CPU s per round (the upstream's for direct) are medians, RSS the max over all rounds",
    ['target', 'frames', 'lost', 'failed streams', 'delay p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'CPU s', 'RSS max MiB', 'KB/stream'],
    Object.entries(r.sse).map(([n, s]) => [
      n,
      `${s.receivedFrames}/${s.expectedFrames}`,
      s.lostFrames,
      Object.values(s.failures).reduce((a, b) => a + b, 0),
      f(s.delayMs.p50, 2),
      f(s.delayMs.p90, 2),
      f(s.delayMs.p99, 2),
      f(s.delayMs.max, 1),
      f(s.cpuSeconds, 2),
      f(s.maxRssMiB),
      f(perStreamKB(r, n), 1),
    ]),
  );
  console.log('KB/stream: (RSS max - RSS idle after start) / streams, for the two Node processes whose idle RSS is known');
  const ml = r.memoryLimit;
  if (ml?.applied) {
    const limited = Object.entries(ml.cgroups);
    console.log(
      `${limited.map(([n]) => n).join(', ')}: each in a memory cgroup limited to ${ml.quantity}, the chart's default for the proxy container, so V8 sized ` +
        `its heap as in the Pod (heap limit ${f(ml.heapLimitMiB, 0)} MiB); cgroup peak over the run ${limited.map(([n, c]) => `${n} ${f(c.peakMiB)} MiB`).join(', ')}; ` +
        `killed for memory: ${limited.reduce((a, [, c]) => a + c.oomKills, 0)}`,
    );
  } else if (ml) {
    console.log(`no memory limit: V8 sized the Node processes' heaps from the machine's memory (heap limit ${f(ml.heapLimitMiB, 0)} MiB), not as in the Pod`);
  }
  const rows = [];
  for (const mode of ['upload', 'download']) {
    for (const [n, t] of Object.entries(r.transfer[mode])) {
      rows.push([`${mode} ${n}`, f(t.mibPerSec, 0), f(t.mibPerSec / r.transfer[mode].nginx.mibPerSec, 2), f(t.rssBeforeMiB), f(t.maxRssMiB), t.error ?? 'ok']);
    }
  }
  table(`${c.transferMiB} MiB bodies through one connection`, ['transfer', 'MiB/s', 'x nginx', 'proxy RSS before', 'RSS max MiB', 'result'], rows);
  const ws = r.websocket;
  table(
    `WebSocket echo on /v1/realtime: ${f(ws.totalBytes / MIB, 0)} MiB per run in ${ws.messageBytes / 1024} KiB text messages (at most ${ws.window} awaiting their echo), ` +
      `${c.rounds} rounds; MB = 10^6 bytes sent (each crosses the proxy twice), medians`,
    ['target', 'MB/s', 'x direct', 'proxy CPU ms/MB', 'upstream CPU ms/MB', 'proxy RSS max MiB'],
    [
      ['direct', f(ws.direct.mbPerSec, 0), '1', '-', f(ws.direct.upstreamCpuMsPerMB, 2), '-'],
      ['proxy', f(ws.proxy.mbPerSec, 0), ratio(ws.ratio), f(ws.proxy.proxyCpuMsPerMB, 2), f(ws.proxy.upstreamCpuMsPerMB, 2), f(ws.proxy.maxRssMiB)],
    ],
  );
  console.log(`command: ${r.commands.websocket}`);
  const su = r.streamUsage;
  const ns = su.nsPerChunk;
  table(
    `Stream usage, in-process CPU per streamed chunk (${su.chunksPerStream} chunks per stream, ${su.streams} streams per round, median of ${su.rounds} rounds)`,
    ['row', 'ns/chunk', 'x passthrough'],
    Object.entries(ns).map(([name, v]) => {
      const base = name.includes('stream stage')
        ? ns['stream stage: PassThrough (baseline)']
        : name.includes('4 events')
          ? ns['passthrough (tap), 4 events per read']
          : ns['passthrough (tap)'];
      return [name, f(v, 0), f(v / base, 2)];
    }),
  );
  for (const [name, us] of Object.entries(su.usPerRequest)) console.log(`  request rewrite, ${name}: ${f(us, 1)} us`);
  console.log(`command: ${r.commands.streamUsage}`);
  console.log(
    `\nproxy RSS: idle after start ${f(r.idle.rssMiB)} MiB; before the streams ${f(r.sse.proxy.rssBeforeMiB)} MiB; idle 5 s after the run ${f(r.idle.rssAfterRunMiB)} MiB;`,
  );
  console.log(`VmHWM over the whole run (includes the requests/s phase) ${f(r.idle.hwmAfterRunMiB)} MiB. RSS max per phase is sampled every 100 ms.`);

  const p = r.problems;
  console.log(
    `proxy log: ${p.proxyLog.warn} warn, ${p.proxyLog.error} error lines; nginx error log: ${p.nginxErrorLog.lines} lines${p.nginxErrorLog.lines ? ' (see JSON)' : ''}`,
  );
  for (const l of p.proxyLog.last) console.log(`  proxy: ${l}`);
  for (const [name, log] of Object.entries(p.otherProxyLogs ?? {})) {
    console.log(`${name} log: ${log.warn} warn, ${log.error} error lines`);
    for (const l of log.last) console.log(`  ${name}: ${l}`);
  }

  console.log(`the proxy's metrics counted ${r.counted.requests} requests; ${r.counted.refusedByLimits} were refused by a client limit`);
  if (r.image)
    console.log(
      `sidecar footprint: from make image-check's ${r.image.dir} (${r.image.scenarios.map((s) => `${s.scenario} ${s.measuredAt}`).join(', ')}), not from this run`,
    );
  table(
    `Targets (load average ${r.machine.loadAvg.start} at the start, ${r.machine.loadAvg.end} at the end)`,
    ['target', 'result', 'measured (paired: median and range over the rounds)'],
    r.targets.map((t) => [t.name, t.pass === undefined ? 'SKIP' : t.pass ? 'PASS' : 'FAIL', t.actual]),
    true,
  );
  console.log('\nmeasured with:');
  for (const command of new Set(r.targets.map((t) => t.command))) {
    console.log(
      `  ${command}: ${r.targets
        .filter((t) => t.command === command)
        .map((t) => t.name)
        .join('; ')}`,
    );
  }
  console.log(`\nthis run: ${r.invocation} (${f(r.durationS, 0)} s)`);
}
