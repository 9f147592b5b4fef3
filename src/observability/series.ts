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

abstract class Family<S> {
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: Labels; series: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly labelNames: readonly string[],
  ) {}

  /** The series for these label values, in `labelNames` order; created on first use and kept. */
  with(...values: string[]): S {
    const key = values.length === 1 ? values[0]! : values.join('\u0000');
    let entry = this.series.get(key);
    if (entry === undefined) {
      const labels: Labels = {};
      for (const [i, name] of this.labelNames.entries()) labels[name] = values[i] ?? '';
      entry = { labels, series: this.create() };
      this.series.set(key, entry);
    }
    return entry.series;
  }

  protected abstract create(): S;
  protected abstract values(labels: Labels, series: S, out: MetricValue[]): void;

  /** Called by prom-client's registry on each scrape. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    // A family without labels has its one series from the first scrape, so it is exported as 0 before any event.
    if (this.labelNames.length === 0) this.with();
    const values: MetricValue[] = [];
    for (const { labels, series } of this.series.values()) this.values(labels, series, values);
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
