import { Counter, Gauge, Registry } from 'prom-client';
import { RequestCounterView, RequestHistogramView, SideSeries } from './request-series.js';

/**
 * The gateway's Prometheus metrics, in a registry of its own (the process's global
 * registry is left to whoever embeds us).
 *
 * Label values are bounded: route names come from the routes file (or `monolith`),
 * sides, status classes, outcomes and limits are fixed sets; never a path, an address
 * or a user. Past MAX_ROUTES distinct route names (a routes file reloaded many times
 * with renamed routes) new names are counted under `_other` rather than growing the
 * series forever.
 */
export const MAX_ROUTES = 256;
const OVERFLOW_ROUTE = '_other';

type Side = 'monolith' | 'extracted';
type ShadowOutcome = 'matched' | 'mismatched' | 'skipped' | 'error';
type RateLimit = 'client-address' | 'user';

/** Cached children: prom-client's `labels()` builds and validates a label object, so it is done once per value. */
class Children<C> {
  private readonly byKey = new Map<string, C>();
  constructor(private readonly make: (key: string) => C) {}
  get(key: string): C {
    let child = this.byKey.get(key);
    if (child === undefined) {
      child = this.make(key);
      this.byKey.set(key, child);
    }
    return child;
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly contentType: string;

  private readonly routes = new Map<string, { monolith: SideSeries; extracted: SideSeries }>();
  private readonly fallbacks: Children<Counter.Internal>;
  private readonly rollbacks: Children<Counter.Internal>;
  private readonly weights: Children<Gauge.Internal<string>>;
  private readonly rateLimits: Children<Counter.Internal>;
  private readonly shadows: Children<Counter.Internal>;

  constructor(options: { workerLabel?: string } = {}) {
    // With cluster workers each one exports its own series; the label keeps them apart
    // when they are scraped or aggregated together.
    if (options.workerLabel !== undefined) this.registry.setDefaultLabels({ worker: options.workerLabel });
    this.contentType = this.registry.contentType;
    const registers = [this.registry];

    const series = () => this.allSeries();
    this.registry.registerMetric(
      new RequestCounterView('gateway_requests_total', 'Requests answered, by route, side (monolith or extracted) and status class.', series).asMetric(),
    );
    this.registry.registerMetric(
      new RequestHistogramView('gateway_request_duration_seconds', 'Time from receiving a request to the end of its answer, by route and side.', series).asMetric(),
    );

    const fallbacks = new Counter({ name: 'gateway_fallbacks_total', help: 'Requests the extracted side failed and the monolith answered instead.', labelNames: ['route'], registers });
    this.fallbacks = new Children((route) => fallbacks.labels(route));
    const rollbacks = new Counter({ name: 'gateway_rollbacks_total', help: 'Automatic rollbacks of a route to weight 0.', labelNames: ['route'], registers });
    this.rollbacks = new Children((route) => rollbacks.labels(route));
    // Workers agree on a weight (it is shared): summing it over workers would be wrong.
    const weights = new Gauge({ name: 'gateway_route_weight', help: 'Share of users (0-100) a route sends to its extracted side.', labelNames: ['route'], registers, aggregator: 'max' });
    this.weights = new Children((route) => weights.labels(route));
    const rateLimited = new Counter({ name: 'gateway_rate_limited_total', help: 'Requests refused with 429, by the limit they ran into.', labelNames: ['limit'], registers });
    this.rateLimits = new Children((limit) => rateLimited.labels(limit));
    const shadow = new Counter({ name: 'gateway_shadow_comparisons_total', help: 'Mirrored requests, by route and outcome of the comparison.', labelNames: ['route', 'outcome'], registers });
    this.shadows = new Children((key) => {
      const at = key.indexOf('\u0000');
      return shadow.labels(key.slice(0, at), key.slice(at + 1));
    });
  }

  /** The hot path: once per answered request. */
  requestFinished(route: string, side: Side, status: number, seconds: number): void {
    let entry = this.routes.get(route);
    if (entry === undefined) entry = this.addRoute(route);
    (side === 'extracted' ? entry.extracted : entry.monolith).record(status, seconds);
  }

  fallback(route: string): void {
    this.fallbacks.get(this.bounded(route)).inc();
  }

  rolledBack(route: string): void {
    this.rollbacks.get(this.bounded(route)).inc();
  }

  weight(route: string, weight: number): void {
    this.weights.get(this.bounded(route)).set(weight);
  }

  rateLimited(limit: RateLimit): void {
    this.rateLimits.get(limit).inc();
  }

  shadow(route: string, outcome: ShadowOutcome): void {
    this.shadows.get(`${this.bounded(route)}\u0000${outcome}`).inc();
  }

  /** Where `text()` reads from instead of this registry: every cluster worker's (cluster-metrics.ts). */
  private wholeProxy: (() => Promise<string>) | undefined;

  /** With cluster workers: `text()` answers all of them, gathered by the primary. */
  answerForEveryWorker(gather: () => Promise<string>): void {
    this.wholeProxy = gather;
  }

  /** The Prometheus text exposition (serve it with `contentType`): this process's, or every worker's. */
  text(): Promise<string> {
    return this.wholeProxy ? this.wholeProxy() : this.registry.metrics();
  }

  private addRoute(route: string): { monolith: SideSeries; extracted: SideSeries } {
    const label = this.routes.size < MAX_ROUTES ? route : OVERFLOW_ROUTE;
    const existing = this.routes.get(label);
    const entry = existing ?? { monolith: new SideSeries(label, 'monolith'), extracted: new SideSeries(label, 'extracted') };
    // Past the cap the name maps to the shared overflow entry, but is not remembered
    // (remembering it would be the unbounded growth the cap prevents); only the overflow
    // entry is exported, so each series appears once.
    if (label === route) this.routes.set(route, entry);
    else if (existing === undefined) this.routes.set(OVERFLOW_ROUTE, entry);
    return entry;
  }

  private bounded(route: string): string {
    return this.routes.has(route) || this.routes.size < MAX_ROUTES ? route : OVERFLOW_ROUTE;
  }

  private *allSeries(): Iterable<SideSeries> {
    for (const entry of this.routes.values()) {
      yield entry.monolith;
      yield entry.extracted;
    }
  }
}
