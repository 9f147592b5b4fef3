// Prints the image check's figures as a Markdown table: `node test/image/report.mjs image-results`.
// image.json comes from image-check.sh (sizes, build time), <scenario>.json from run-as-rendered.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'image-results';
const read = (name) => JSON.parse(readFileSync(join(dir, name), 'utf8'));
const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const ms = (value) => `${Math.round(value)} ms`;

const image = read('image.json');
console.log(
  `\nbase ${image.base}: ${mb(image.baseBytes)}; image ${image.image}: ${mb(image.imageBytes)} ` +
    `(+${mb(image.imageBytes - image.baseBytes)}); docker build from a clean copy ${image.buildSeconds} s (with the engine's layer cache)`,
);
// Start-up times depend on what else the machine runs: say how busy it was.
console.log(`load average over the last 5 minutes: ${loadavg()[1].toFixed(1)} on ${cpus().length} cores\n`);
console.log(
  '| scenario | start to ready (docker start / process) | idle: cgroup working set | idle: node RSS / anonymous | after traffic: working set / RSS | drain after SIGTERM |',
);
console.log('|---|---|---|---|---|---|');
const scenarios = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && f !== 'image.json')
  .map(read);
for (const r of scenarios.sort((a, b) => a.order - b.order)) {
  console.log(
    `| ${r.scenario} (${r.about}) | ${ms(r.startToReadyMs)} / ${ms(r.processToReadyMs)} | ${mib(r.idle.workingSet)} | ` +
      `${mib(r.idle.rss)} / ${mib(r.idle.rssAnon)} | ${mib(r.afterTraffic.workingSet)} / ${mib(r.afterTraffic.rss)} | ${ms(r.drainMs)} |`,
  );
}
