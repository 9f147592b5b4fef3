// After install, NOTES.txt tells the user the URL to use: the Service's cluster DNS name in service mode,
// http://127.0.0.1:18443/v1 in sidecar mode; and how to read the metrics. (`--dry-run=client` needs no cluster.)
import t from 'tap';
import { CHART, NAMESPACE, RELEASE, helm } from './helm';

const notes = (file: string) => {
  const out = helm(['install', RELEASE, CHART, '--namespace', NAMESPACE, '--values', file, '--dry-run=client']);
  return out.slice(out.indexOf('NOTES:'));
};

t.test('service mode', async (t) => {
  const text = notes('chart/ci/service-values.yaml');
  t.match(text, 'OPENAI_BASE_URL=http://openai-proxy.ai.svc.cluster.local:18443/v1');
  t.match(text, 'Secret openai-proxy-keys');
  t.match(text, '/metrics');
});

t.test('sidecar mode', async (t) => {
  const text = notes('chart/ci/sidecar-values.yaml');
  t.match(text, 'OPENAI_BASE_URL=http://127.0.0.1:18443/v1');
  t.match(text, 'port-forward deploy/openai-proxy 9090:9090');
});

t.test('embedded sidecar: no Deployment of its own to port-forward to', async (t) => {
  const text = notes('chart/ci/sidecar-embedded-values.yaml');
  t.match(text, 'OPENAI_BASE_URL=http://127.0.0.1:18443/v1');
  t.notMatch(text, 'port-forward');
});

t.test('keyless: which ServiceAccount to map where', async (t) => {
  const openai = notes('chart/ci/sidecar-keyless-values.yaml');
  t.match(openai, 'No upstream key: the proxy exchanges the projected token of ServiceAccount openai-proxy');
  t.match(openai, 'system:serviceaccount:ai:openai-proxy to svcacct_0123456789abcdef');
  const azure = notes('chart/ci/service-keyless-azure-values.yaml');
  t.match(azure, 'at Entra ID');
  t.match(azure, 'The application 00000000-1111-2222-3333-444444444444 needs a federated credential');
});

t.test('the injector alone: how to opt a workload in, and how to check it', async (t) => {
  const text = notes('chart/ci/injector-values.yaml');
  t.match(text, 'openai-proxy.io/inject: "true"');
  t.match(text, 'openai-proxy.io/secret:');
  t.match(text, "jsonpath='{.metadata.annotations.openai-proxy\\.io/status}'");
  t.match(text, 'start without the proxy (failurePolicy Ignore)');
  t.notMatch(text, 'embedded', 'nothing about embedding templates it does not use');
});

t.test('a shared Service and the injector: both told', async (t) => {
  const text = notes('chart/ci/injector-cert-manager-values.yaml');
  t.match(text, 'OPENAI_BASE_URL=http://openai-proxy.ai.svc.cluster.local:18443/v1');
  t.match(text, 'kubectl label namespace <namespace> openai-proxy.io/inject=enabled');
  t.match(text, 'are not created (failurePolicy Fail)');
});

t.test('the injector, keyless: one annotation, the Secret optional', async (t) => {
  const text = notes('chart/ci/injector-keyless-values.yaml');
  t.match(text, 'openai-proxy.io/inject: "true"');
  t.match(text, "the sidecar exchanges the Pod's own ServiceAccount token");
  t.match(text, '# openai-proxy.io/secret:');
});
