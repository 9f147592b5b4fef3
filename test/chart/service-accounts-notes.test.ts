// With auth.serviceAccounts.enabled, NOTES.txt shows the caller's side: the projected token volume (the
// chart's audience, 10-minute expiry), the SDK code that reads the token on every request, which
// ServiceAccounts each client is, and what to do where the cluster lacks the issuer discovery binding.
import t from 'tap';
import { CHART, NAMESPACE, RELEASE, helm } from './helm';

const notes = (...set: string[]) => {
  const args = ['install', RELEASE, CHART, '--namespace', NAMESPACE, '--values', 'chart/ci/service-serviceaccounts-values.yaml', '--dry-run=client'];
  for (const s of set) args.push('--set', s);
  const out = helm(args);
  return out.slice(out.indexOf('NOTES:'));
};

t.test("the caller's projected token and SDK code", async (t) => {
  const text = notes('auth.serviceAccounts.audience=llm-proxy');
  t.match(text, /serviceAccountToken:\n\s+audience: llm-proxy\n\s+expirationSeconds: 600\n\s+path: token/);
  t.match(text, 'mountPath: /var/run/secrets/openai-proxy');
  t.match(text, 'value: http://openai-proxy.ai.svc.cluster.local:18443/v1');
  t.match(text, "apiKey: async () => (await readFile('/var/run/secrets/openai-proxy/token', 'utf8')).trim()");
  t.match(text, 'api_key=lambda: Path("/var/run/secrets/openai-proxy/token").read_text().strip()');
  t.match(text, /team-a: team-a\/chatbot, team-b\/\*\n\s+bob: bob\/batch/);
});

t.test('where the default issuer discovery binding is missing', async (t) => {
  t.match(notes('auth.serviceAccounts.createIssuerDiscoveryBinding=false'), 'createIssuerDiscoveryBinding=true');
  t.notMatch(notes(), 'createIssuerDiscoveryBinding=true', 'not said when the chart makes the binding');
});

t.test('nothing of it without auth.serviceAccounts', async (t) => {
  const out = helm(['install', RELEASE, CHART, '--namespace', NAMESPACE, '--values', 'chart/ci/service-values.yaml', '--dry-run=client']);
  t.notMatch(out.slice(out.indexOf('NOTES:')), 'serviceAccountToken');
});
