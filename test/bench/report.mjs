// The performance targets, judged on one run's results, and the tables printed at the end of `make bench`.
const f = (v, digits = 1) => (v === undefined || v === null || Number.isNaN(v) ? '-' : v.toFixed(digits));

const KB = 1000;
const MIB = 2 ** 20;

/** (peak RSS during the streams - idle RSS after start) / streams, in KB, for the proxy and the floor. */
function perStreamKB(r, name) {
  const idle = name === 'proxy' ? r.idle.rssMiB : name === 'floor' ? r.idle.floorRssMiB : undefined;
  return idle === undefined ? undefined : ((r.sse[name].maxRssMiB - idle) * MIB) / KB / r.config.streams;
}

/**
 * The targets, each as a ratio or a difference within this one run, with what was measured and whether it
 * passed. Memory per stream is (peak RSS during the streams - idle RSS after start) / streams: the idle figure
 * is taken before any load, so whatever the earlier phases left on the heap counts against the streams.
 */
export function targets(r) {
  const { rps, latency1, sse, auth } = r;
  const addedOverFloor = latency1.proxy.p50Ms - latency1.floor.p50Ms;
  const perStream = perStreamKB(r, 'proxy');
  const peakMB = (sse.proxy.maxRssMiB * MIB) / 1e6;
  const list = [
    { name: 'requests/s >= 0.85 x the floor', actual: `${f(rps.proxy.rps / rps.floor.rps, 2)} x`, pass: rps.proxy.rps >= 0.85 * rps.floor.rps },
    {
      name: "p50 at 1 connection within 0.05 ms of the floor's",
      actual: `${addedOverFloor >= 0 ? '+' : ''}${f(addedOverFloor, 3)} ms`,
      pass: addedOverFloor <= 0.05,
    },
    { name: 'streams: no frame lost', actual: `${sse.proxy.lostFrames} lost`, pass: sse.proxy.lostFrames === 0 },
    {
      name: "streams: p99 frame delay <= nginx's",
      actual: `${f(sse.proxy.delayMs.p99 / sse.nginx.delayMs.p99, 2)} x (${f(sse.proxy.delayMs.p99, 2)} vs ${f(sse.nginx.delayMs.p99, 2)} ms; floor ${f(sse.floor.delayMs.p99, 2)})`,
      pass: sse.proxy.delayMs.p99 <= sse.nginx.delayMs.p99,
    },
    { name: 'streams: memory per open stream <= 25 KB', actual: `${f(perStream, 1)} KB (the floor: ${f(perStreamKB(r, 'floor'), 1)})`, pass: perStream <= 25 },
    { name: 'streams: peak RSS <= 192 MB', actual: `${f(peakMB, 0)} MB (${f(sse.proxy.maxRssMiB)} MiB)`, pass: peakMB <= 192 },
  ];
  if (auth) {
    const extraUs = (auth.cachedTokenNs - auth.keyNs) / 1000;
    list.push({ name: 'cached SA token: <= 2 us more CPU than a key', actual: `+${f(extraUs, 2)} us (in-process)`, pass: extraUs <= 2 });
  }
  for (const s of r.image?.scenarios ?? []) {
    list.push({
      name: `${s.scenario}: idle container memory <= 20 MiB`,
      actual: `${f(s.idleWorkingSetMiB)} MiB (image-check)`,
      pass: s.idleWorkingSetMiB <= 20,
    });
    list.push({ name: `${s.scenario}: start to ready <= 400 ms`, actual: `${f(s.startToReadyMs, 0)} ms (image-check)`, pass: s.startToReadyMs <= 400 });
  }
  return list;
}

function table(title, head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
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
  console.log(`medians of ${c.rounds} interleaved round(s); nginx access log ${c.nginxAccessLog ? "on (like the proxy's request log)" : 'off'}`);

  const names = Object.keys(r.rps);
  table(
    `Small JSON POST /v1/chat/completions: ${c.connections} connections, ${c.threads} wrk threads, ${c.seconds} s per round`,
    ['target', 'req/s', 'x floor', 'x nginx', 'p50 ms', 'p99 ms', 'CPU us/req', 'scavenges/1k req', 'scavenge us/req', 'upstream conns', 'errors'],
    names.map((n) => [
      n,
      f(r.rps[n].rps, 0),
      f(r.rps[n].rps / r.rps.floor.rps, 2),
      f(r.rps[n].rps / r.rps.nginx.rps, 2),
      f(r.rps[n].p50Ms, 3),
      f(r.rps[n].p99Ms, 3),
      f(r.rps[n].cpuUsPerRequest, 0),
      f(r.rps[n].scavengesPer1k, 1),
      f(r.rps[n].scavengeUsPerRequest, 1),
      r.rps[n].upstreamConnections,
      r.rps[n].errors,
    ]),
  );
  console.log('scavenges: young-generation collections, from the proxy\'s own nodejs_gc_duration_seconds{kind="minor"}');
  if (r.auth) {
    const a = r.auth;
    console.log(
      `\nAuthenticating one request, in-process (the built proxy's caller lookup, CPU of ${a.iterations} calls each): key ${f(a.keyNs, 0)} ns, ` +
        `ServiceAccount token from the cache ${f(a.cachedTokenNs, 0)} ns (+${f(a.cachedTokenNs - a.keyNs, 0)} ns; the ${a.tokenBytes}-byte token is hashed), ` +
        `a token seen for the first time ${f(a.firstTokenNs / 1000, 1)} us (RS256 signature and claims)`,
    );
  }
  const sa = r.rps['proxy-sa-token'];
  if (sa) {
    console.log(
      `ServiceAccount token instead of a key (proxy-sa-token vs proxy, the token answered from the cache after the first): ` +
        `${f(sa.cpuUsPerRequest - r.rps.proxy.cpuUsPerRequest, 1)} us more CPU per request (${f(sa.cpuUsPerRequest, 1)} vs ${f(r.rps.proxy.cpuUsPerRequest, 1)}), ` +
        `${f(sa.rps / r.rps.proxy.rps, 3)} x the key proxy's req/s`,
    );
  }
  table(
    `Same request at 1 connection (wrk -c1 -t1), ${c.latencySeconds} s per round`,
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'added p50 ms', 'over floor ms', 'errors'],
    names.map((n) => [
      n,
      f(r.latency1[n].rps, 0),
      f(r.latency1[n].p50Ms, 3),
      f(r.latency1[n].p99Ms, 3),
      n === 'direct' ? '-' : f(r.latency1[n].p50Ms - r.latency1.direct.p50Ms, 3),
      n === 'direct' || n === 'floor' ? '-' : f(r.latency1[n].p50Ms - r.latency1.floor.p50Ms, 3),
      r.latency1[n].errors,
    ]),
  );
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
  console.log(
    `\nproxy RSS: idle after start ${f(r.idle.rssMiB)} MiB; before the streams ${f(r.sse.proxy.rssBeforeMiB)} MiB; idle 5 s after the run ${f(r.idle.rssAfterRunMiB)} MiB;`,
  );
  console.log(`VmHWM over the whole run (includes the requests/s phase) ${f(r.idle.hwmAfterRunMiB)} MiB. RSS max per phase is sampled every 100 ms.`);

  const p = r.problems;
  console.log(
    `proxy log: ${p.proxyLog.warn} warn, ${p.proxyLog.error} error lines; nginx error log: ${p.nginxErrorLog.lines} lines${p.nginxErrorLog.lines ? ' (see JSON)' : ''}`,
  );
  for (const l of p.proxyLog.last) console.log(`  proxy: ${l}`);

  console.log(`the proxy's metrics counted ${r.counted.requests} requests; ${r.counted.refusedByLimits} were refused by a client limit`);
  if (r.image)
    console.log(
      `sidecar footprint: from make image-check's ${r.image.dir} (${r.image.scenarios.map((s) => `${s.scenario} ${s.measuredAt}`).join(', ')}), not from this run`,
    );
  table(
    `Targets (load average ${r.machine.loadAvg.start} at the start, ${r.machine.loadAvg.end} at the end)`,
    ['target', 'measured', 'result'],
    r.targets.map((t) => [t.name, t.actual, t.pass ? 'PASS' : 'FAIL']),
  );
}
