import { AggregatorRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics, MAX_ROUTES } from './gateway-metrics.js';

describe('GatewayMetrics', () => {
  it('exposes requests by route, side and status class, and their latency histogram', async () => {
    const metrics = new GatewayMetrics();
    metrics.requestFinished('payments', 'extracted', 200, 0.004);
    metrics.requestFinished('payments', 'extracted', 201, 0.02);
    metrics.requestFinished('payments', 'extracted', 503, 2);
    metrics.requestFinished('payments', 'monolith', 404, 0.0005);
    metrics.requestFinished('monolith', 'monolith', 0, 45);

    const text = await metrics.text();
    expect(text).toContain('# TYPE gateway_requests_total counter');
    expect(text).toContain('gateway_requests_total{route="payments",side="extracted",status_class="2xx"} 2');
    expect(text).toContain('gateway_requests_total{route="payments",side="extracted",status_class="5xx"} 1');
    expect(text).toContain('gateway_requests_total{route="payments",side="monolith",status_class="4xx"} 1');
    expect(text).toContain('gateway_requests_total{route="monolith",side="monolith",status_class="other"} 1');

    expect(text).toContain('# TYPE gateway_request_duration_seconds histogram');
    // Buckets are cumulative: 0.004 falls in le=0.005, 0.02 in le=0.025, 2 in le=2.5.
    expect(text).toContain('gateway_request_duration_seconds_bucket{route="payments",side="extracted",le="0.0025"} 0');
    expect(text).toContain('gateway_request_duration_seconds_bucket{route="payments",side="extracted",le="0.005"} 1');
    expect(text).toContain('gateway_request_duration_seconds_bucket{route="payments",side="extracted",le="0.025"} 2');
    expect(text).toContain('gateway_request_duration_seconds_bucket{route="payments",side="extracted",le="2.5"} 3');
    expect(text).toContain('gateway_request_duration_seconds_bucket{route="payments",side="extracted",le="+Inf"} 3');
    expect(text).toContain('gateway_request_duration_seconds_sum{route="payments",side="extracted"} 2.024');
    expect(text).toContain('gateway_request_duration_seconds_count{route="payments",side="extracted"} 3');
    // Past the last bucket (30 s) only +Inf counts it.
    expect(text).toContain('gateway_request_duration_seconds_bucket{route="monolith",side="monolith",le="30"} 0');
    expect(text).toContain('gateway_request_duration_seconds_bucket{route="monolith",side="monolith",le="+Inf"} 1');
    // A side that never answered has no series.
    expect(text).not.toContain('route="monolith",side="extracted"');
  });

  it('counts fallbacks, rollbacks, rate-limit refusals and shadow outcomes, and shows weights', async () => {
    const metrics = new GatewayMetrics();
    metrics.fallback('payments');
    metrics.fallback('payments');
    metrics.rolledBack('payments');
    metrics.weight('payments', 30);
    metrics.weight('payments', 0);
    metrics.rateLimited('client-address');
    metrics.rateLimited('user');
    metrics.rateLimited('user');
    metrics.shadow('catalog', 'matched');
    metrics.shadow('catalog', 'mismatched');
    metrics.shadow('catalog', 'mismatched');
    metrics.shadow('catalog', 'skipped');

    const text = await metrics.text();
    expect(text).toContain('gateway_fallbacks_total{route="payments"} 2');
    expect(text).toContain('gateway_rollbacks_total{route="payments"} 1');
    expect(text).toContain('gateway_route_weight{route="payments"} 0');
    expect(text).toContain('gateway_rate_limited_total{limit="client-address"} 1');
    expect(text).toContain('gateway_rate_limited_total{limit="user"} 2');
    expect(text).toContain('gateway_shadow_comparisons_total{route="catalog",outcome="matched"} 1');
    expect(text).toContain('gateway_shadow_comparisons_total{route="catalog",outcome="mismatched"} 2');
    expect(text).toContain('gateway_shadow_comparisons_total{route="catalog",outcome="skipped"} 1');
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it('labels every series with the worker, and its registry is not the global one', async () => {
    const metrics = new GatewayMetrics({ workerLabel: '2' });
    metrics.requestFinished('payments', 'extracted', 200, 0.01);
    metrics.fallback('payments');
    const text = await metrics.text();
    expect(text).toContain('gateway_requests_total{route="payments",side="extracted",status_class="2xx",worker="2"} 1');
    expect(text).toContain('gateway_fallbacks_total{route="payments",worker="2"} 1');
    const { register } = await import('prom-client');
    expect(await register.metrics()).not.toContain('gateway_');
  });

  it("aggregates across cluster workers with prom-client's AggregatorRegistry", async () => {
    const one = new GatewayMetrics();
    const two = new GatewayMetrics();
    one.requestFinished('payments', 'extracted', 200, 0.004);
    two.requestFinished('payments', 'extracted', 200, 0.004);
    two.requestFinished('payments', 'extracted', 200, 0.3);
    const merged = AggregatorRegistry.aggregate([await one.registry.getMetricsAsJSON(), await two.registry.getMetricsAsJSON()]);
    const text = await merged.metrics();
    expect(text).toContain('gateway_requests_total{route="payments",side="extracted",status_class="2xx"} 3');
    expect(text).toContain('gateway_request_duration_seconds_bucket{route="payments",side="extracted",le="0.005"} 2');
    expect(text).toContain('gateway_request_duration_seconds_count{route="payments",side="extracted"} 3');
  });

  it('keeps route cardinality bounded', async () => {
    const metrics = new GatewayMetrics();
    for (let i = 0; i < MAX_ROUTES + 50; i++) metrics.requestFinished(`route-${i}`, 'monolith', 200, 0.001);
    const text = await metrics.text();
    const routes = new Set([...text.matchAll(/gateway_requests_total\{route="([^"]+)"/g)].map((m) => m[1]));
    expect(routes.size).toBe(MAX_ROUTES + 1);
    expect(text).toContain('gateway_requests_total{route="_other",side="monolith",status_class="2xx"} 50');
  });
});
