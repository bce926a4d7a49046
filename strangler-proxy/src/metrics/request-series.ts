import type { Metric } from 'prom-client';

/**
 * The per-request counters and latency histogram, kept as plain numbers and turned into
 * Prometheus samples only when scraped.
 *
 * Why not prom-client's Counter and Histogram on the hot path: their labelled children
 * still validate and hash the label object on every `inc()`/`observe()` (about 0.5 µs
 * each, measured here), which is a visible share of a proxied request's budget. Here a
 * request costs one Map lookup and a few array increments; the scrape (every few
 * seconds) pays for the formatting. The samples have prom-client's shape, so the text
 * exposition, `getMetricsAsJSON()` and the cluster AggregatorRegistry all handle them.
 */

/** Seconds; from a fast loopback hop (1 ms) to an upstream timeout. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** Index = Math.floor(status / 100); anything outside 1xx–5xx (0: no answer at all) is `other`. */
const STATUS_CLASSES = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** One route and side: its numbers since the process started. */
export class SideSeries {
  /** Requests by status class, indexed like STATUS_CLASSES. */
  readonly byClass = new Float64Array(STATUS_CLASSES.length);
  /** Non-cumulative bucket counts; the last slot is +Inf. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  constructor(
    readonly route: string,
    readonly side: string,
  ) {}

  record(status: number, seconds: number): void {
    const statusClass = (status / 100) | 0;
    this.byClass[statusClass >= 1 && statusClass <= 5 ? statusClass : 0]! += 1;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.buckets[i]! += 1;
    this.sum += seconds;
    this.count += 1;
  }
}

type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };

/** A scrape-time view over every SideSeries: a counter or a histogram, as prom-client exports them. */
abstract class SeriesView {
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly series: () => Iterable<SideSeries>,
  ) {}

  abstract readonly type: 'counter' | 'histogram';
  protected abstract samples(): Sample[];

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }

  // Registry.resetMetrics() calls it; these series are only ever reset by a restart.
  reset(): void {}

  /** The registry types its entries as prom-client metrics; this object has the part it uses. */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}

export class RequestCounterView extends SeriesView {
  readonly type = 'counter' as const;

  protected samples(): Sample[] {
    const values: Sample[] = [];
    for (const s of this.series()) {
      s.byClass.forEach((value, i) => {
        if (value > 0) values.push({ value, labels: { route: s.route, side: s.side, status_class: STATUS_CLASSES[i]! } });
      });
    }
    return values;
  }
}

export class RequestHistogramView extends SeriesView {
  readonly type = 'histogram' as const;

  protected samples(): Sample[] {
    const values: Sample[] = [];
    for (const s of this.series()) {
      if (s.count === 0) continue; // a side that never answered (the monolith route's extracted side)
      let cumulative = 0;
      for (let i = 0; i <= LATENCY_BUCKETS.length; i++) {
        cumulative += s.buckets[i]!;
        const le = i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! : '+Inf';
        values.push({ value: cumulative, labels: { route: s.route, side: s.side, le }, metricName: `${this.name}_bucket` });
      }
      values.push({ value: s.sum, labels: { route: s.route, side: s.side }, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: { route: s.route, side: s.side }, metricName: `${this.name}_count` });
    }
    return values;
  }
}
