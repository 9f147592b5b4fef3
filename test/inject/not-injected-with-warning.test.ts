// A Pod that asks for the sidecar but cannot have it is allowed unchanged, never denied: the answer carries a
// warning (kubectl shows it to whoever created the Pod) and the injector logs why, at warn. Each case here is
// one the API server would otherwise refuse, or one where the sidecar could not work.
import t from 'tap';
import { admissionReview, fixturePod, review, startInjector } from '../helpers/injector';
import { fetchText } from '../helpers/proxy';
import { tempDir } from '../helpers/tmp';
import { renderInjector } from './rendered';

type Pod = Record<string, any>;
const cases: Array<[string, (pod: Pod) => void, RegExp]> = [
  ['an inject value that is neither true nor false', (p) => (p.metadata.annotations['openai-proxy.io/inject'] = 'yes'), /must be "true" or "false", not "yes"/],
  ['a Secret name Kubernetes would refuse', (p) => (p.metadata.annotations['openai-proxy.io/secret'] = 'Team_A'), /must be the name of a Secret/],
  ['no Secret, and no workload identity configured', (p) => delete p.metadata.annotations['openai-proxy.io/secret'], /no workload identity configured/],
  ["the node's network", (p) => (p.spec.hostNetwork = true), /node's network/],
  ['a container named openai-proxy already', (p) => (p.spec.containers[0].name = 'openai-proxy'), /already has a container named openai-proxy/],
  ['a volume of the same name', (p) => p.spec.volumes.push({ name: 'openai-proxy-auth', emptyDir: {} }), /already has a volume named openai-proxy-auth/],
  ["the proxy's admin port", (p) => p.spec.containers[0].ports.push({ name: 'metrics', containerPort: 9090, protocol: 'TCP' }), /declares port 9090/],
  ["the proxy's own port", (p) => p.spec.containers[0].ports.push({ containerPort: 18443, protocol: 'TCP' }), /declares port 18443/],
  ['a port named admin', (p) => p.spec.containers[0].ports.push({ name: 'admin', containerPort: 7000, protocol: 'TCP' }), /port named admin/],
  ['no containers', (p) => delete p.spec.containers, /no containers/],
  [
    'no Pod in the review',
    (p) => {
      for (const k of Object.keys(p)) delete p[k];
    },
    /no Pod object/,
  ],
];

t.test('allowed unchanged, with a warning and a log line', async (t) => {
  const { config } = renderInjector(tempDir(t));
  const injector = await startInjector(t, { config });
  for (const [name, spoil, reason] of cases) {
    const pod = fixturePod('deployment-pod');
    spoil(pod);
    const sent = admissionReview(pod);
    if (Object.keys(pod).length === 0) sent.request.object = null;
    const reply = await review(injector.url, sent);
    t.equal(reply.status, 200, `${name}: 200`);
    const response = reply.json!.response;
    t.same([response.uid, response.allowed, response.patch, response.patchType], [sent.request.uid, true, undefined, undefined], `${name}: allowed, no patch`);
    t.equal(response.warnings?.length, 1, `${name}: one warning`);
    t.match(response.warnings?.[0], /^openai-proxy sidecar not injected: /);
    t.match(response.warnings?.[0], reason);
    const line = await injector.waitForLog((l) => l.uid === sent.request.uid);
    t.match(line, { level: 'warn', event: 'admission', result: 'failed', namespace: 'team-a', reason }, `${name}: logged`);
  }
  const metrics = (await fetchText(`${injector.adminUrl}/metrics`)).text;
  t.match(metrics, new RegExp(`openai_proxy_injections_total\\{result="failed"\\} ${cases.length}\\n`), 'each counted as failed');
});
