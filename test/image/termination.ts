/**
 * The Pod's end, as the kubelet does it, during a stream: the container's preStop hook (an exec runs inside the
 * container, so its command must exist in the image; a sleep action is the kubelet's own wait), then SIGTERM
 * (`docker stop` with what is left of terminationGracePeriodSeconds). The stream must arrive whole, `/readyz`
 * must stop answering 200, and the container must exit 0 (a SIGKILL at the end of the grace period is 137).
 *
 *   checkDrain(t, pod) -> Promise<number>   milliseconds from SIGTERM to the container's exit
 */
import type { Test } from 'tap';
import { handlers, sleep } from '../helpers/fake-upstream';
import { docker, inspect } from './docker';
import { sdk } from './checks';
import type { RunningPod } from './pod';

const EVENT_INTERVAL_MS = 100;
// How long the stream runs on once SIGTERM has arrived: the drain has something to wait for.
const STREAM_AFTER_SIGTERM_MS = 2000;

export async function checkDrain(t: Test, pod: RunningPod): Promise<number> {
  const preStop = pod.container.lifecycle?.preStop;
  const preStopMs = preStop?.sleep ? preStop.sleep.seconds * 1000 : preStop?.exec ? Number(preStop.exec.command.at(-1)) * 1000 : 0;
  const events = Math.ceil((preStopMs + STREAM_AFTER_SIGTERM_MS) / EVENT_INTERVAL_MS);
  pod.upstream.handle = handlers.slowSse(events, EVENT_INTERVAL_MS);

  let received = 0;
  let firstChunk!: () => void;
  const started = new Promise<void>((resolve) => (firstChunk = resolve));
  const stream = (async () => {
    for await (const _chunk of await sdk(pod).chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })) {
      if (received++ === 0) firstChunk();
    }
  })();
  await Promise.race([started, stream]);

  const hookStarted = performance.now();
  if (preStop?.exec) await docker(['exec', pod.name, ...preStop.exec.command]);
  else if (preStop?.sleep) await sleep(preStopMs);
  else if (preStop) throw new Error(`preStop ${Object.keys(preStop).join(', ')} is not run here`);
  const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
  const left = Math.max(1, Math.floor(grace - (performance.now() - hookStarted) / 1000));

  const sigterm = performance.now();
  const stopped = docker(['stop', '--time', String(left), pod.name], { timeoutMs: (left + 10) * 1000 });
  await sleep(300);
  const ready = await fetch(`${pod.adminUrl}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
  t.not(ready, 200, `/readyz stops answering 200 once SIGTERM arrives (${ready || 'refused'})`);
  await stopped;
  const drainMs = performance.now() - sigterm;

  await t.resolves(stream, 'the stream ends cleanly');
  t.equal(received, events, `the stream arrives whole (${events} events) across the preStop pause and the drain`);
  const state = (await inspect(pod.name)).State;
  t.equal(state.ExitCode, 0, 'the container exits 0');
  t.equal(state.OOMKilled, false, 'not killed for memory');
  return drainMs;
}
