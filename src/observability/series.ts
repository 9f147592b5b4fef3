/**
 * Metric families whose series are plain objects, updated in place on the request path and turned into
 * Prometheus text by prom-client's registry only when `/metrics` is scraped.
 *
 * Why not prom-client's own Counter and Histogram: every `inc()` or `observe()` on them, even on a child from
 * `labels()`, builds a label object, validates it and hashes it again, which made metrics about a tenth of the
 * proxy's CPU per request on the benchmark (README, "Performance"). Here a series is looked up once per label
 * combination (labels are bounded: client names, allowlist prefixes, statuses) and an update is an addition.
 * The registry reads a family through `get()`, the same interface its own metrics implement.
 */

type Labels = Record<string, string>;

/** What prom-client's registry formats: one value per line, with its labels and (histograms) its suffixed name. */
interface MetricValue {
  labels: Labels;
  value: number;
  metricName?: string;
}

/**
 * Values found by a tuple of label values, one Map per label position: a lookup hashes each value (strings cache
 * their hash) and builds nothing, where a joined key string was built, hashed and dropped on every observation.
 */
export class LabelTrie<T> {
  private readonly root = new Map<string, unknown>();
  private only: T | undefined;

  /** `depth` values are used, the missing ones as ''. */
  constructor(private readonly depth: number) {}

  get(values: readonly (string | undefined)[]): T | undefined {
    if (this.depth === 0) return this.only;
    let level = this.root;
    for (let i = 0; i < this.depth - 1; i++) {
      const next = level.get(values[i] ?? '') as Map<string, unknown> | undefined;
      if (next === undefined) return undefined;
      level = next;
    }
    return level.get(values[this.depth - 1] ?? '') as T | undefined;
  }

  set(values: readonly (string | undefined)[], value: T): void {
    if (this.depth === 0) {
      this.only = value;
      return;
    }
    let level = this.root;
    for (let i = 0; i < this.depth - 1; i++) {
      const key = values[i] ?? '';
      let next = level.get(key) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(key, next);
      }
      level = next;
    }
    level.set(values[this.depth - 1] ?? '', value);
  }
}

abstract class Family<S> {
  readonly aggregator = 'sum';
  /** In order of creation: the order a scrape lists them. */
  private readonly series: { labels: Labels; series: S }[] = [];
  private readonly index: LabelTrie<S>;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly labelNames: readonly string[],
  ) {
    this.index = new LabelTrie(labelNames.length);
  }

  /** The series for these label values, in `labelNames` order; created on first use and kept. */
  with(...values: string[]): S {
    return this.index.get(values) ?? this.add(values);
  }

  private add(values: readonly string[]): S {
    const labels: Labels = {};
    for (const [i, name] of this.labelNames.entries()) labels[name] = values[i] ?? '';
    const series = this.create();
    this.series.push({ labels, series });
    this.index.set(values, series);
    return series;
  }

  protected abstract create(): S;
  protected abstract values(labels: Labels, series: S, out: MetricValue[]): void;

  /** Called by prom-client's registry on each scrape. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    // A family without labels has its one series from the first scrape, so it is exported as 0 before any event.
    if (this.labelNames.length === 0) this.with();
    const values: MetricValue[] = [];
    for (const { labels, series } of this.series) this.values(labels, series, values);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class CounterSeries {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class GaugeSeries extends CounterSeries {
  dec(by = 1): void {
    this.value -= by;
  }
  set(value: number): void {
    this.value = value;
  }
}

/** Counters and gauges: one number per series. */
class ValueFamily<S extends CounterSeries> extends Family<S> {
  constructor(
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    labelNames: readonly string[],
    private readonly make: () => S,
  ) {
    super(name, help, type, labelNames);
  }
  protected create(): S {
    return this.make();
  }
  protected values(labels: Labels, series: S, out: MetricValue[]): void {
    out.push({ labels, value: series.value });
  }
}

export class CounterFamily extends ValueFamily<CounterSeries> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'counter', labelNames, () => new CounterSeries());
  }
}

export class GaugeFamily extends ValueFamily<GaugeSeries> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'gauge', labelNames, () => new GaugeSeries());
  }
}

export class HistogramSeries {
  sum = 0;
  count = 0;
  /** Observations per bucket, not cumulative: counts[i] holds those in (bounds[i-1], bounds[i]]; the last is +Inf. */
  readonly counts: Float64Array;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(name, help, 'histogram', labelNames);
  }
  protected create() {
    return new HistogramSeries(this.bounds);
  }
  protected values(labels: Labels, series: HistogramSeries, out: MetricValue[]): void {
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += series.counts[i]!;
      const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
      out.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
    }
    out.push({ labels, value: series.sum, metricName: `${this.name}_sum` });
    out.push({ labels, value: series.count, metricName: `${this.name}_count` });
  }
}
