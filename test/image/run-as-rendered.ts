/**
 * The image check's scenarios (scenarios.ts), each a Pod rendered by the real helm and run in Docker exactly as
 * its proxy container says, with the checks of checks.ts and termination.ts through it. Each scenario's figures
 * go to image-results/<name>.json for report.mjs. Run by test/image/image-check.sh (`make image-check`), which
 * provides the engine and the image; IMAGE_CHECK_SCENARIOS=name,name runs only those.
 */
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaksIn } from '../helpers/keys';
import { request } from '../helpers/http';
import { fingerprint } from '../helpers/proxy';
import { checkProbes, checkRequests, checkRotation, checkRuntime, checkSecretFiles, measureIdle } from './checks';
import { docker } from './docker';
import { startPod } from './pod';
import { SCENARIOS } from './scenarios';
import { checkDrain } from './termination';

const RESULTS = join(__dirname, '..', '..', 'image-results');
const only = process.env.IMAGE_CHECK_SCENARIOS?.split(',').filter(Boolean);

for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
  t.test(`${scenario.name}: ${scenario.about}`, async (t) => {
    const pod = await startPod(t, scenario);
    const allKeys = Object.values(pod.keys);
    pod.upstream.watchKeys(allKeys);
    t.pass(`ready ${Math.round(pod.startToReadyMs)} ms after docker start, ${Math.round(pod.processToReadyMs)} ms after the process started`);
    const idle = await measureIdle(pod);

    await t.test('runs as the spec says', (t) => checkRuntime(t, pod));
    await t.test('Secret files as the kubelet writes them', (t) => checkSecretFiles(t, pod));
    await t.test('probes', (t) => checkProbes(t, pod));
    await t.test('requests', (t) => checkRequests(t, pod));
    await t.test('key rotation', (t) => checkRotation(t, pod));
    const metrics = (await request(`${pod.adminUrl}/metrics`)).text;
    const busy = await measureIdle(pod, 0);
    let drainMs = NaN;
    await t.test('docker stop during a stream', async (t) => {
      drainMs = await checkDrain(t, pod);
    });

    const logs = await docker(['logs', pod.name], { both: true });
    const keySet = pod.keySet();
    const secrets = [...new Set([...allKeys, ...keySet.upstream])];
    t.same(
      leaksIn(
        [
          ['container logs', logs],
          ['/metrics', metrics],
        ],
        secrets,
      ),
      [],
      'no key or token in the container logs or /metrics',
    );
    const misplaced = pod.upstream.misplacedKeys(keySet);
    t.same(misplaced, [], `keys ${secrets.map(fingerprint).join(', ')} only where they belong`);

    mkdirSync(RESULTS, { recursive: true });
    const figures = {
      order: SCENARIOS.indexOf(scenario),
      scenario: scenario.name,
      about: scenario.about,
      startToReadyMs: pod.startToReadyMs,
      processToReadyMs: pod.processToReadyMs,
      idle,
      afterTraffic: busy,
      drainMs,
    };
    writeFileSync(join(RESULTS, `${scenario.name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
  });
}
