// The injector's own admin listener, as the proxy's: /healthz, /readyz and /metrics with
// openai_proxy_injections_total by result. SIGTERM turns /readyz to 503, lets open reviews finish, exits 0.
import t from 'tap';
import { admissionReview, fixturePod, review, startInjector } from '../helpers/injector';
import { fetchText } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

t.test('health, readiness, metrics, shutdown', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  t.same(await fetchText(`${injector.adminUrl}/healthz`), { status: 200, text: '{"status":"ok"}' });
  t.same(await fetchText(`${injector.adminUrl}/readyz`), { status: 200, text: '{"status":"ready"}' });

  const pod = fixturePod('deployment-pod');
  await review(injector.url, admissionReview(pod));
  await review(injector.url, admissionReview(fixturePod('bare-pod')));
  delete pod.metadata.annotations['openai-proxy.io/inject'];
  await review(injector.url, admissionReview(pod));
  const metrics = await fetchText(`${injector.adminUrl}/metrics`);
  t.equal(metrics.status, 200);
  t.match(metrics.text, /# TYPE openai_proxy_injections_total counter\n/);
  t.match(metrics.text, /openai_proxy_injections_total\{result="injected"\} 2\n/);
  t.match(metrics.text, /openai_proxy_injections_total\{result="skipped"\} 1\n/);
  t.match(metrics.text, /process_resident_memory_bytes \d+/, "Node's process metrics");
  t.notMatch(metrics.text, /openai_proxy_requests_total/, 'none of the proxy request metrics: it proxies nothing');

  t.equal((await fetch(`${injector.url}/metrics`, { method: 'POST' })).status, 404, 'metrics only on the admin listener');
  t.equal(await injector.stop('SIGTERM'), 0, 'SIGTERM: exit 0');
  t.ok(injector.logs.some((l) => l.event === 'shutdown_complete'));
});
