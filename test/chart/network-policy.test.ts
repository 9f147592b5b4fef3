// networkPolicy.enabled (service mode): ingress to the proxy port only from the chosen peers (and the helm test
// Pod), the admin port from the scrapers; egress only to DNS and the upstream's port.
import t from 'tap';
import { find, findAll, render } from './helm';

t.test('the features example', async (t) => {
  const policy = find(render({ values: ['chart/ci/service-features-values.yaml'] }), 'NetworkPolicy');
  t.same(policy.spec.podSelector.matchLabels, { 'app.kubernetes.io/name': 'openai-proxy', 'app.kubernetes.io/instance': 'openai-proxy' });
  t.same(policy.spec.policyTypes, ['Ingress', 'Egress']);
  const [proxyRule, adminRule] = policy.spec.ingress;
  t.same(proxyRule.ports, [{ port: 'proxy', protocol: 'TCP' }]);
  t.same(proxyRule.from[0], { namespaceSelector: { matchLabels: { 'openai-proxy/client': 'true' } } });
  t.match(proxyRule.from[1], { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'test' } } }, 'helm test Pod allowed');
  t.same(adminRule.ports, [{ port: 'admin', protocol: 'TCP' }]);
  t.same(adminRule.from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
  const [dns, upstream] = policy.spec.egress;
  t.same(dns.ports, [
    { port: 53, protocol: 'UDP' },
    { port: 53, protocol: 'TCP' },
  ]);
  t.same(upstream.ports, [{ port: 8443, protocol: 'TCP' }], 'the port of upstream.baseUrl');
  t.equal(upstream.to, undefined, 'to any address on that port');
});

t.test('defaults: callers from the same namespace, upstream on 443 (https) or 80 (http)', async (t) => {
  const on = ['networkPolicy.enabled=true'];
  const policy = find(render({ values: ['chart/ci/service-values.yaml'], set: on }), 'NetworkPolicy');
  t.same(policy.spec.ingress[0].from[0], { podSelector: {} });
  t.equal(policy.spec.ingress[1].from, undefined, 'admin port open to scrapers anywhere');
  t.equal(policy.spec.egress[1].ports[0].port, 443);
  const http = find(render({ values: ['chart/ci/service-values.yaml'], set: [...on, 'upstream.baseUrl=http://vllm.models:8000/v1'] }), 'NetworkPolicy');
  t.equal(http.spec.egress[1].ports[0].port, 8000);
  const plain = find(render({ values: ['chart/ci/service-values.yaml'], set: [...on, 'upstream.baseUrl=http://ollama'] }), 'NetworkPolicy');
  t.equal(plain.spec.egress[1].ports[0].port, 80);
});

t.test('off by default, and never in sidecar mode (the Pod is the app’s)', async (t) => {
  t.same(findAll(render({ values: ['chart/ci/service-values.yaml'] }), 'NetworkPolicy'), []);
  t.same(findAll(render({ values: ['chart/ci/sidecar-values.yaml'], set: ['networkPolicy.enabled=true'] }), 'NetworkPolicy'), []);
});
