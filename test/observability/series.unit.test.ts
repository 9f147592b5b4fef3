// src/observability/series.ts replaces prom-client's Counter, Gauge and Histogram on the request path. A scrape must not be able
// to tell: the same events give the same Prometheus text as prom-client's own metrics, line for line.
import t from 'tap';
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { CounterFamily, GaugeFamily, HistogramFamily } from '../../src/observability/series';

const BOUNDS = [0.005, 0.01, 0.1, 1, 10];

function registryWith(...metrics: unknown[]): Registry {
  const registry = new Registry();
  for (const m of metrics) registry.registerMetric(m as Metric);
  return registry;
}

t.test('a counter family scrapes like a prom-client Counter', async (t) => {
  const ours = new CounterFamily('x_requests_total', 'Requests.', ['client', 'status']);
  const theirs = new Counter({ name: 'x_requests_total', help: 'Requests.', labelNames: ['client', 'status'], registers: [] });
  for (const [client, status, by] of [
    ['alice', '200', 1],
    ['bob', '429', 3],
    ['alice', '200', 2],
    ['alice', '500', 0],
  ] as const) {
    ours.with(client, status).inc(by);
    theirs.labels(client, status).inc(by);
  }
  t.equal(await registryWith(ours).metrics(), await registryWith(theirs).metrics());
  t.equal(ours.with('alice', '200').value, 3, 'the same series is returned for the same labels');
});

t.test('a counter without labels is exported as 0 before its first event, like prom-client', async (t) => {
  const ours = new CounterFamily('x_failures_total', 'Failures.');
  const theirs = new Counter({ name: 'x_failures_total', help: 'Failures.', registers: [] });
  t.equal(await registryWith(ours).metrics(), await registryWith(theirs).metrics());
  t.match(await registryWith(ours).metrics(), /^x_failures_total 0$/m);
  ours.with().inc();
  theirs.inc();
  t.equal(await registryWith(ours).metrics(), await registryWith(theirs).metrics());
});

t.test('a gauge family goes up and down like a prom-client Gauge', async (t) => {
  const ours = new GaugeFamily('x_inflight', 'Open requests.', ['client']);
  const theirs = new Gauge({ name: 'x_inflight', help: 'Open requests.', labelNames: ['client'], registers: [] });
  ours.with('alice').inc();
  ours.with('alice').inc();
  ours.with('alice').dec();
  ours.with('bob').inc();
  ours.with('bob').dec();
  theirs.labels('alice').inc();
  theirs.labels('alice').inc();
  theirs.labels('alice').dec();
  theirs.labels('bob').inc();
  theirs.labels('bob').dec();
  t.equal(await registryWith(ours).metrics(), await registryWith(theirs).metrics());
});

t.test('a histogram family puts values on bucket bounds where prom-client does (le is inclusive)', async (t) => {
  const ours = new HistogramFamily('x_seconds', 'Durations.', ['endpoint'], BOUNDS);
  const theirs = new Histogram({ name: 'x_seconds', help: 'Durations.', labelNames: ['endpoint'], buckets: BOUNDS, registers: [] });
  const values = [0, 0.001, 0.005, 0.0051, 0.01, 0.05, 0.1, 1, 1.5, 10, 11, 1e6];
  for (const [i, v] of values.entries()) {
    const endpoint = i % 3 === 0 ? '/v1/embeddings' : '/v1/chat/completions';
    ours.with(endpoint).observe(v);
    theirs.labels(endpoint).observe(v);
  }
  const text = await registryWith(ours).metrics();
  t.equal(text, await registryWith(theirs).metrics());
  t.match(text, /^x_seconds_bucket\{le="\+Inf",endpoint="\/v1\/chat\/completions"\} 8$/m, 'everything is under +Inf');
  t.match(text, /^x_seconds_bucket\{le="0.005",endpoint="\/v1\/chat\/completions"\} 2$/m, '0.001 and 0.005 fall in le=0.005');
});

t.test('families and prom-client metrics share one registry', async (t) => {
  const registry = new Registry();
  registry.registerMetric(new CounterFamily('x_a_total', 'A.', ['k']) as unknown as Metric);
  new Counter({ name: 'x_b_total', help: 'B.', registers: [registry] });
  const text = await registry.metrics();
  t.match(text, /# TYPE x_a_total counter/);
  t.match(text, /# TYPE x_b_total counter/);
});
