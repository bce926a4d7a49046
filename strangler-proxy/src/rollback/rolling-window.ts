import { binOf, LATENCY_BINS, quantileOf } from './latency-histogram.js';

export interface WindowSnapshot {
  requests: number;
  failures: number;
  /** failures / requests; 0 when empty. */
  errorRate: number;
  /** p99 latency of the window's requests (within the histogram's ±4.5%); 0 when empty. */
  p99Ms: number;
}

/**
 * A route's extracted-side requests over the last `windowSeconds`: a ring of per-second
 * buckets, each with its request and failure counts and a fixed log-scale latency
 * histogram. Memory is fixed at construction (windowSeconds × ~150 counters) and a
 * record is a few array writes, whatever the traffic; a bucket is reused when its
 * second comes round again, so nothing is ever swept.
 */
export class RollingWindow {
  private readonly size: number;
  /** The epoch second each bucket currently holds (-1: never used). */
  private readonly second: Float64Array;
  private readonly requests: Uint32Array;
  private readonly failures: Uint32Array;
  /** size × LATENCY_BINS counts, bucket-major. */
  private readonly latencies: Uint32Array;
  /** Scratch space for snapshot(): the live buckets' histograms merged. */
  private readonly merged = new Uint32Array(LATENCY_BINS);

  constructor(readonly windowSeconds: number) {
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1) throw new RangeError(`windowSeconds must be a whole number ≥ 1, not ${windowSeconds}`);
    this.size = windowSeconds;
    this.second = new Float64Array(windowSeconds).fill(-1);
    this.requests = new Uint32Array(windowSeconds);
    this.failures = new Uint32Array(windowSeconds);
    this.latencies = new Uint32Array(windowSeconds * LATENCY_BINS);
  }

  /** One finished extracted-side request. `failed`: 5xx, or no answer (refused, reset, timeout). */
  record(latencyMs: number, failed: boolean, nowMs: number = Date.now()): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % this.size;
    if (this.second[slot] !== second) {
      // A late record for a second already past the window would wipe a live bucket: drop it.
      if (this.second[slot]! > second) return;
      this.second[slot] = second;
      this.requests[slot] = 0;
      this.failures[slot] = 0;
      this.latencies.fill(0, slot * LATENCY_BINS, (slot + 1) * LATENCY_BINS);
    }
    this.requests[slot]! += 1;
    if (failed) this.failures[slot]! += 1;
    this.latencies[slot * LATENCY_BINS + binOf(latencyMs)]! += 1;
  }

  /** The requests of the last `windowSeconds` seconds, the current one included. */
  snapshot(nowMs: number = Date.now()): WindowSnapshot {
    const now = Math.floor(nowMs / 1000);
    const oldest = now - this.size + 1;
    const merged = this.merged.fill(0);
    let requests = 0;
    let failures = 0;
    for (let slot = 0; slot < this.size; slot++) {
      const second = this.second[slot]!;
      if (second < oldest || second > now || this.requests[slot] === 0) continue;
      requests += this.requests[slot]!;
      failures += this.failures[slot]!;
      const base = slot * LATENCY_BINS;
      for (let bin = 0; bin < LATENCY_BINS; bin++) merged[bin]! += this.latencies[base + bin]!;
    }
    return { requests, failures, errorRate: requests === 0 ? 0 : failures / requests, p99Ms: quantileOf(merged, requests, 0.99) };
  }
}
