// dashboard.enabled: the Grafana dashboard (chart/dashboards/openai-proxy.json) as a ConfigMap carrying the
// Grafana sidecar's label, in either mode; nothing when disabled. Which metrics it queries is checked against
// a running proxy in test/usage/dashboard-metrics.test.ts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART, NAMESPACE, findAll, render, renderFails, type K8sObject } from './helm';

const FILE = readFileSync(join(CHART, 'dashboards', 'openai-proxy.json'), 'utf8');
const CI = 'chart/ci/dashboard-values.yaml';

const dashboards = (objs: K8sObject[]) => findAll(objs, 'ConfigMap').filter((c) => c.metadata.name.endsWith('-dashboard'));

t.test('the file is a Grafana dashboard with a Prometheus data source variable', async (t) => {
  const dashboard = JSON.parse(FILE);
  t.match(dashboard, { uid: 'openai-proxy', title: 'openai-proxy', schemaVersion: Number });
  t.ok(dashboard.schemaVersion >= 36, 'a schema Grafana 9+ reads without migrating');
  t.match(dashboard.templating.list[0], { name: 'datasource', type: 'datasource', query: 'prometheus' });
  const panels = dashboard.panels.filter((p: K8sObject) => p.type !== 'row');
  t.ok(panels.length >= 15, `${panels.length} panels`);
  t.equal(new Set(dashboard.panels.map((p: K8sObject) => p.id)).size, dashboard.panels.length, 'panel ids are unique');
  // Grafana moves overlapping panels on load, so a panel placed over another lands somewhere nobody chose.
  const overlapping = (a: K8sObject, b: K8sObject) =>
    a.gridPos.x < b.gridPos.x + b.gridPos.w &&
    b.gridPos.x < a.gridPos.x + a.gridPos.w &&
    a.gridPos.y < b.gridPos.y + b.gridPos.h &&
    b.gridPos.y < a.gridPos.y + a.gridPos.h;
  const overlaps = dashboard.panels.flatMap((a: K8sObject, i: number) =>
    dashboard.panels
      .slice(i + 1)
      .filter((b: K8sObject) => overlapping(a, b))
      .map((b: K8sObject) => `${a.title} / ${b.title}`),
  );
  t.same(overlaps, [], 'no two panels overlap');
  for (const p of panels) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax, not a template literal.
    t.same(p.datasource, { type: 'prometheus', uid: '${datasource}' }, `${p.title}: uses the chosen data source`);
    t.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: fits the 24-column grid`);
    t.ok(p.targets.length > 0 && p.targets.every((q: K8sObject) => q.expr), `${p.title}: has queries`);
  }
});

t.test('enabled: one ConfigMap with the sidecar label, holding the file', async (t) => {
  const [cm, ...more] = dashboards(render({ values: [CI] }));
  t.equal(more.length, 0);
  t.equal(cm!.metadata.name, 'openai-proxy-dashboard');
  t.equal(cm!.metadata.namespace, 'monitoring', 'dashboard.namespace');
  t.match(cm!.metadata.labels, { grafana_dashboard: '1', 'app.kubernetes.io/instance': 'openai-proxy' });
  t.same(cm!.metadata.annotations, { grafana_folder: 'LLM' });
  t.same(Object.keys(cm!.data), ['openai-proxy.json']);
  t.equal(cm!.data['openai-proxy.json'], FILE, 'the file, byte for byte');
  t.same(JSON.parse(cm!.data['openai-proxy.json']), JSON.parse(FILE), 'valid JSON equal to the file');
});

t.test('defaults: the release namespace, no annotations', async (t) => {
  const [cm] = dashboards(render({ values: ['chart/ci/service-values.yaml'], set: ['dashboard.enabled=true'] }));
  t.equal(cm!.metadata.namespace, NAMESPACE);
  t.equal(cm!.metadata.labels.grafana_dashboard, '1');
  t.notOk(cm!.metadata.annotations);
});

t.test('the label can follow a sidecar configured differently', async (t) => {
  const [cm] = dashboards(render({ values: [CI], set: ['dashboard.labels.grafana_dashboard=null'], setString: ['dashboard.labels.dashboards=openai'] }));
  t.notOk('grafana_dashboard' in cm!.metadata.labels, 'the default label can be removed');
  t.equal(cm!.metadata.labels.dashboards, 'openai');
});

t.test('rendered in sidecar mode too, embedded or not', async (t) => {
  for (const file of ['chart/ci/sidecar-values.yaml', 'chart/ci/sidecar-embedded-values.yaml']) {
    t.equal(dashboards(render({ values: [file], set: ['dashboard.enabled=true'] })).length, 1, file);
  }
});

t.test('disabled (the default): no dashboard', async (t) => {
  for (const file of ['chart/ci/service-values.yaml', 'chart/ci/sidecar-values.yaml', 'chart/ci/sidecar-embedded-values.yaml']) {
    t.same(dashboards(render({ values: [file] })), [], file);
  }
  t.same(dashboards(render({ values: [CI], set: ['dashboard.enabled=false'] })), []);
});

t.test('the schema refuses what Kubernetes would', async (t) => {
  t.match(renderFails({ values: [CI], set: ['dashboard.labels.grafana_dashboard=1'] }), /grafana_dashboard/, 'a label value must be a string');
  t.match(renderFails({ values: [CI], set: ['dashboard.namespace=Monitoring'] }), /namespace/);
  t.match(renderFails({ values: [CI], set: ['dashboard.folder=LLM'] }), /folder/, 'no unknown keys');
});
