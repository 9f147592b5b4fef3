// The soak's figures: one object (written as JSON to soak-results/) and the short table printed from it.
import { sumOf } from './proxy.mjs';
import { MIX } from './traffic.mjs';

const MiB = 1024 * 1024;
const mib = (bytes) => Math.round((bytes / MiB) * 10) / 10;
const pct = (xs, p) => {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 10) / 10;
};

export function summarise({ cfg, tally, soakSeconds, soakRequests, cpu, fd, heap, rss, samples, settleMs, up, metrics, rotation, slots, drain }) {
  return {
    settings: { ...cfg, node: process.version },
    requests: {
      byKind: tally.counts,
      total: tally.total(),
      soakPhase: soakRequests,
      soakSeconds: Math.round(soakSeconds * 10) / 10,
      perSecond: Math.round(soakRequests / soakSeconds),
      jsonLatencyMs: { p50: pct(tally.jsonMs, 0.5), p99: pct(tally.jsonMs, 0.99) },
    },
    proxy: {
      statuses: sumOf(metrics, 'openai_proxy_requests_total', 'status'),
      clientAborts: sumOf(metrics, 'openai_proxy_client_aborts_total'),
      upstreamErrors: sumOf(metrics, 'openai_proxy_upstream_errors_total'),
      inflightAfter: sumOf(metrics, 'openai_proxy_inflight_requests'),
      inflightPeakSampled: samples.inflightPeak,
      cpuSeconds: Math.round(cpu * 10) / 10,
    },
    upstream: up,
    fd,
    heapMiB: {
      baseline: mib(heap.base.heapUsed),
      after: mib(heap.after.heapUsed),
      growth: mib(heap.after.heapUsed - heap.base.heapUsed),
      tolerance: heap.toleranceMiB,
      externalBaseline: mib(heap.base.external),
      externalAfter: mib(heap.after.external),
    },
    rssMiB: { peak: Math.round(rss.hwm), afterSoak: Math.round(rss.rss) },
    settleMs,
    rotation,
    streamSlots: slots,
    drain,
  };
}

export function printTable(r) {
  const order = [...Object.keys(MIX), 'rotationProbe', 'slotProbe', 'drainStream'];
  const kinds = Object.keys(r.requests.byKind).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const outcomes = [...new Set(kinds.flatMap((k) => Object.keys(r.requests.byKind[k])))].sort();
  const row = (cells, widths) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  const widths = [14, 7, ...outcomes.map((o) => Math.max(o.length, 6))];
  const column = (o) => kinds.reduce((n, k) => n + (r.requests.byKind[k][o] ?? 0), 0);
  const lines = [];
  lines.push('');
  lines.push(
    `soak: ${r.settings.seconds} s after ${r.settings.warmupSeconds} s warm-up, ${r.settings.concurrency} workers, ${r.settings.mode}-tenant, seed ${r.settings.seed}, node ${r.settings.node}`,
  );
  lines.push('');
  lines.push(row(['kind'.padEnd(14), 'total', ...outcomes], widths));
  for (const kind of kinds) {
    const counts = r.requests.byKind[kind];
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    lines.push(row([kind.padEnd(14), total, ...outcomes.map((o) => counts[o] ?? '.')], widths));
  }
  lines.push(row(['all'.padEnd(14), r.requests.total, ...outcomes.map(column)], widths));
  lines.push('');
  const figures = [
    [
      'throughput',
      `${r.requests.perSecond} req/s over ${r.requests.soakSeconds} s (${r.requests.soakPhase} requests); json p50 ${r.requests.jsonLatencyMs.p50} ms, p99 ${r.requests.jsonLatencyMs.p99} ms; proxy CPU ${r.proxy.cpuSeconds} s`,
    ],
    [
      'proxy counted',
      `${Object.entries(r.proxy.statuses)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')}; client aborts ${r.proxy.clientAborts}; upstream errors ${r.proxy.upstreamErrors} (before SIGTERM)`,
    ],
    [
      'upstream',
      `${r.upstream.requests} requests in all, ${r.upstream.completed} completed, ${r.upstream.cancelled} cancelled by the proxy, ${r.upstream.connections} TLS connections`,
    ],
    ['open fds', `start ${r.fd.start}, baseline ${r.fd.base}, after ${r.fd.after} (tolerance ${r.fd.tolerance}; settled in ${r.settleMs} ms)`],
    [
      'heap after GC',
      `baseline ${r.heapMiB.baseline} MiB, after ${r.heapMiB.after} MiB (${r.heapMiB.growth >= 0 ? '+' : ''}${r.heapMiB.growth}, limit +${r.heapMiB.tolerance})`,
    ],
    ['RSS', `peak ${r.rssMiB.peak} MiB, after the soak ${r.rssMiB.afterSoak} MiB`],
    ['inflight', `peak ${r.proxy.inflightPeakSampled} (sampled each second), after ${r.proxy.inflightAfter}`],
    ['rotation', rotationLine(r.rotation)],
    [
      'stream slots',
      r.streamSlots
        ? `${r.streamSlots.admitted}/${r.streamSlots.limit} streams admitted after the soak, one more: ${r.streamSlots.oneMore}`
        : 'not checked (single-tenant: no limits)',
    ],
    [
      'drain',
      `${r.drain.completed}/${r.drain.streams} open streams finished, readyz ${r.drain.readyz}, new connections ${r.drain.refused ? 'refused' : 'accepted'}, exit ${r.drain.exitCode} after ${r.drain.drainMs} ms (grace ${r.drain.graceMs} ms)`,
    ],
    [
      'after SIGTERM',
      `${column('refused')} connections refused; ${column('reset-idle') + column('reset-new')} reset before the proxy read them (${column('reset-idle')} on idle keep-alive connections, ${column('reset-new')} on new ones)`,
    ],
  ];
  for (const [name, text] of figures) lines.push(`${name.padEnd(15)} ${text}`);
  const failed = r.checks.filter((c) => !c.ok).length;
  lines.push(`${'checks'.padEnd(15)} ${r.checks.length - failed} passed, ${failed} failed`);
  console.log(lines.join('\n'));
}

function rotationLine(rot) {
  const s = rot.requests;
  const lost = rot.refusedValid.old + rot.refusedValid.new + rot.refusedValid.static;
  return (
    `both keys in effect after ${rot.overlapInEffectMs} ms, overlap ${rot.overlapMs} ms (old key ${s.overlapOld}, new key ${s.overlapNew} requests), ` +
    `old key gone after ${rot.removedInEffectMs} ms; valid-key 401s: ${lost}; old key then ${rot.probes.oldKey}, new key ${rot.probes.newKey}`
  );
}
