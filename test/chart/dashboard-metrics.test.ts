// Every metric the Grafana dashboard queries is one a running proxy really exports, and
// every label it groups or filters on is one those metrics carry, so a renamed metric or label cannot leave the
// dashboard silently empty. The names come from a real scrape, not from src/observability/metrics.ts.
import t, { type Test } from 'tap';
import { request as httpRequest } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC } from '../../src/observability/metrics';
import { identityToken, startFakeTokenEndpoint } from '../helpers/fake-token-endpoint';
import { handlers } from '../helpers/fake-upstream';
import { request } from '../helpers/http';
import { randomKey } from '../helpers/proxy';
import { startSingleTenant, type Stack } from '../helpers/stack';
import { tempDir } from '../helpers/tmp';

const DASHBOARD = join('chart', 'dashboards', 'openai-proxy.json');

// PromQL functions and aggregations a dashboard may call; any other word before `(` is reported.
const FUNCTIONS = new Set(
  'sum avg min max count group stddev stdvar topk bottomk quantile count_values rate irate increase delta idelta deriv histogram_quantile abs ceil floor round clamp clamp_min clamp_max scalar vector time timestamp label_replace label_join sort sort_desc absent absent_over_time avg_over_time min_over_time max_over_time sum_over_time count_over_time last_over_time quantile_over_time predict_linear resets changes'.split(
    ' ',
  ),
);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);
// Labels Prometheus adds to every scraped series (the Prometheus Operator adds namespace, pod, service, container).
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint']);

interface Query {
  where: string;
  expr: string;
}

/** Every PromQL expression in the dashboard: panel targets, and the metric inside `label_values(...)` variables. */
function queriesOf(dashboard: any): Query[] {
  const out: Query[] = [];
  const walk = (panels: any[]) => {
    for (const p of panels ?? []) {
      for (const target of p.targets ?? []) out.push({ where: `panel "${p.title}" ${target.refId}`, expr: target.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const text: string = typeof v.query === 'string' ? v.query : v.query?.query;
    const inner = /^label_values\((.*),\s*[A-Za-z_]\w*\s*\)$/.exec(text.trim());
    if (!inner) throw new Error(`variable ${v.name}: only label_values(metric, label) queries are checked, got ${text}`);
    out.push({ where: `variable $${v.name}`, expr: inner[1]! });
  }
  return out;
}

/** The metric names, called functions and referenced labels of one PromQL expression. */
function namesIn(expr: string): { metrics: string[]; functions: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr.replace(/\$\{?\w+\}?/g, ' ').replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_, matchers: string) => {
    for (const m of matchers.matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.push(m[1]!);
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, list: string) => {
    labels.push(
      ...list
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  const metrics: string[] = [];
  const functions: string[] = [];
  for (const m of rest.matchAll(/(\d[\d.]*(?:e[+-]?\d+)?[a-z]*)|([A-Za-z_:][\w:]*)(\s*\()?/gi)) {
    if (!m[2] || KEYWORDS.has(m[2])) continue;
    (m[3] ? functions : metrics).push(m[2]);
  }
  return { metrics, functions, labels };
}

interface Family {
  type: string;
  /** Whether the scrape had a sample of it: its labels are known only then. */
  sampled: boolean;
  labels: Set<string>;
}

/** Metric families from `# TYPE` lines, and the label names seen on each family's samples. */
function scrapeFamilies(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(m[1]!, { type: m[2]!, sampled: false, labels: new Set() });
  for (const m of text.matchAll(/^([A-Za-z_:][\w:]*)(?:\{([^}]*)\})? /gm)) {
    const family = familyOf(families, m[1]!);
    if (!family) continue;
    family.sampled = true;
    for (const l of (m[2] ?? '').matchAll(/(\w+)="/g)) family.labels.add(l[1]!);
  }
  return families;
}

/** The family a sample or queried name belongs to: itself, or a histogram/summary's _bucket, _sum, _count. */
function familyOf<T extends { type: string }>(families: Map<string, T>, name: string): T | undefined {
  if (families.has(name)) return families.get(name);
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m ? families.get(m[1]!) : undefined;
  if (base && (base.type === 'histogram' || (base.type === 'summary' && m![2] !== 'bucket'))) return base;
  return undefined;
}

/** Problems with one expression against a scrape: unknown metrics, unknown functions, labels nobody carries. */
function problemsOf(q: Query, families: Map<string, Family>): string[] {
  const { metrics, functions, labels } = namesIn(q.expr);
  const problems: string[] = [];
  if (metrics.length === 0) problems.push(`${q.where}: queries no metric`);
  for (const f of functions) if (!FUNCTIONS.has(f)) problems.push(`${q.where}: unknown function ${f}()`);
  const found = metrics.map((name) => [name, familyOf(families, name)] as const);
  for (const [name, family] of found) if (!family) problems.push(`${q.where}: ${name} is not exported`);
  // Labels are known only from samples, so a family that has none yet is not judged on them.
  const seen = found.map(([, f]) => f).filter((f) => f?.sampled);
  if (seen.length === found.length && seen.length > 0) {
    const known = new Set([...TARGET_LABELS, 'le', ...seen.flatMap((f) => [...f!.labels])]);
    for (const l of labels) if (!known.has(l)) problems.push(`${q.where}: no queried metric has the label ${l}`);
  }
  return problems;
}

/** Traffic that makes most series exist: tokens, a 401, a 502, a 429 from a client limit, a client abort. */
async function drive(t: Test, s: Stack, cappedKey: string) {
  const chat = (key: string) =>
    request(`${s.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: '{"model":"gpt-4.1-mini","messages":[]}',
    });
  t.equal((await chat(s.clientKey)).status, 200, 'chat completion with usage');
  t.equal((await chat(randomKey('pk-wrong'))).status, 401, 'wrong key');
  t.equal((await chat(cappedKey)).status, 200, 'capped client, first request');
  t.equal((await chat(cappedKey)).status, 429, 'capped client, over its limit');
  s.up.handle = handlers.resetBeforeHeaders();
  t.equal((await chat(s.clientKey)).status, 502, 'upstream reset');
  s.up.handle = handlers.slowSse(50, 50);
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(`${s.proxy.url}/v1/chat/completions`, { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' } }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end('{"model":"gpt-4.1-mini","stream":true,"messages":[]}');
  });
  s.up.handle = undefined;
}

async function scrapeUntil(s: Stack, ready: (text: string) => boolean): Promise<string> {
  let text = '';
  for (let i = 0; i < 50; i++) {
    text = (await request(`${s.proxy.adminUrl}/metrics`)).text;
    if (ready(text)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return text;
}

t.test('every metric and label the dashboard queries is exported by a running proxy', async (t) => {
  const dir = tempDir(t);
  const cappedKey = randomKey('pk-test-capped');
  // A keyless client too, so that the credential metrics have samples whose labels are checked.
  const tokens = await startFakeTokenEndpoint({ t });
  writeFileSync(join(dir, 'token'), identityToken());
  const keyless = `{ workloadIdentity: { tokenFile: ${join(dir, 'token')}, identityProviderId: wip, serviceAccountId: svcacct, tokenUrl: "${tokens.tokenUrl}" } }`;
  const config = join(dir, 'proxy.yaml');
  writeFileSync(
    config,
    `models: [gpt-4.1-mini]\nclients:\n  - { name: capped, key: { env: CAPPED_KEY }, limits: { requestsPerMinute: 1 } }\n  - { name: keyless, key: { env: KEYLESS_KEY }, upstreamKey: ${keyless} }\n`,
  );
  const s = await startSingleTenant(t, {
    env: { PROXY_CONFIG: config, CAPPED_KEY: cappedKey, KEYLESS_KEY: randomKey('pk-test-keyless') },
    tokenEndpoint: tokens,
  });
  await tokens.waitForExchanges(1);
  await drive(t, s, cappedKey);
  const text = await scrapeUntil(s, (x) => /^openai_proxy_client_aborts_total\{/m.test(x));
  const families = scrapeFamilies(text);
  t.ok(families.size > 20, `${families.size} metric families scraped`);

  const queries = queriesOf(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
  t.ok(queries.length >= 20, `${queries.length} queries in the dashboard`);
  for (const q of queries) t.same(problemsOf(q, families), [], q.where);

  const queried = new Set(queries.flatMap((q) => namesIn(q.expr).metrics).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
  for (const name of Object.values(METRIC)) t.ok(queried.has(name), `the dashboard shows ${name}`);
  const unjudged = [...families].filter(([n, f]) => n.startsWith('openai_proxy_') && !f.sampled).map(([n]) => n);
  t.comment(`families without samples (labels not checked): ${unjudged.join(', ') || 'none'}`);
});

t.test('the check catches a misspelt metric, function or label', async (t) => {
  const families = scrapeFamilies(
    '# TYPE openai_proxy_requests_total counter\nopenai_proxy_requests_total{client="a",status="200"} 1\n' +
      '# TYPE openai_proxy_upstream_ttfb_seconds histogram\nopenai_proxy_upstream_ttfb_seconds_bucket{client="a",le="1"} 1\n',
  );
  const check = (expr: string) => problemsOf({ where: 'q', expr }, families);
  t.same(check('sum by (client) (rate(openai_proxy_requests_total{status=~"5..|429", job=~"$job"}[$__rate_interval]))'), []);
  t.same(check('histogram_quantile(0.99, sum by (le) (rate(openai_proxy_upstream_ttfb_seconds_bucket[5m])))'), []);
  t.same(check('sum(rate(openai_proxy_request_total[5m]))'), ['q: openai_proxy_request_total is not exported']);
  t.same(check('openai_proxy_upstream_ttfb_seconds_sum'), [], 'a histogram has _sum');
  t.same(check('openai_proxy_requests_total_bucket'), ['q: openai_proxy_requests_total_bucket is not exported'], 'a counter has no _bucket');
  t.same(check('sum by (clinet) (openai_proxy_requests_total)'), ['q: no queried metric has the label clinet']);
  t.same(check('rte(openai_proxy_requests_total[5m])'), ['q: unknown function rte()']);
  t.same(check('vector(1)'), ['q: queries no metric']);
});
