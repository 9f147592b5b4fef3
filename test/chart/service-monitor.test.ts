// serviceMonitor.enabled: a Prometheus Operator ServiceMonitor scraping /metrics on the Service's admin port.
import t from 'tap';
import { find, findAll, render } from './helm';

t.test('service mode', async (t) => {
  const objs = render({ values: ['chart/ci/service-features-values.yaml'] });
  const monitor = find(objs, 'ServiceMonitor');
  t.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
  t.match(monitor.metadata.labels, { release: 'prometheus' }, 'labels the Prometheus selects on');
  t.same(monitor.spec.selector.matchLabels, find(objs, 'Service').spec.selector);
  t.same(monitor.spec.endpoints, [{ port: 'admin', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
  t.ok(find(objs, 'Service').spec.ports.some((p: { name: string }) => p.name === 'admin'));
});

t.test('sidecar mode scrapes the sidecar through the app Service', async (t) => {
  const objs = render({ values: ['chart/ci/sidecar-values.yaml'], set: ['serviceMonitor.enabled=true'] });
  t.equal(find(objs, 'ServiceMonitor').spec.endpoints[0].port, 'admin');
});

t.test('off by default', async (t) => {
  t.same(findAll(render({ values: ['chart/ci/service-values.yaml'] }), 'ServiceMonitor'), []);
});
