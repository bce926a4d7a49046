/**
 * The fixed log-scale latency bins the rolling window counts in: a latency is one
 * increment, whatever the traffic, and a percentile is read back with a known relative
 * precision instead of from a sorted array of every latency.
 *
 * Bins grow by 2^(1/8) (about 9% wide), from MIN_MS up; a reported value is the bin's
 * geometric middle, so it is within about ±4.5% of the true latency. Below MIN_MS is
 * bin 0, above the top is the last bin (reported as its lower edge, about 131 s).
 */
const MIN_MS = 0.5;
const BINS_PER_DOUBLING = 8;
const DOUBLINGS = 18; // 0.5 ms · 2^18 ≈ 131 s: past any upstream timeout
export const LATENCY_BINS = BINS_PER_DOUBLING * DOUBLINGS + 1;

/** The bin a latency falls in. */
export function binOf(latencyMs: number): number {
  if (!(latencyMs > MIN_MS)) return 0; // also NaN and negatives: a clock that stepped back
  const bin = Math.floor(Math.log2(latencyMs / MIN_MS) * BINS_PER_DOUBLING) + 1;
  return bin < LATENCY_BINS ? bin : LATENCY_BINS - 1;
}

/** A latency representative of a bin: its geometric middle (bin 0: MIN_MS). */
export function valueOf(bin: number): number {
  if (bin <= 0) return MIN_MS;
  if (bin >= LATENCY_BINS - 1) return MIN_MS * 2 ** DOUBLINGS;
  return MIN_MS * 2 ** ((bin - 0.5) / BINS_PER_DOUBLING);
}

/** The latency below which `quantile` of the counts fall, read from bin counts; 0 when empty. */
export function quantileOf(counts: ArrayLike<number>, total: number, quantile: number): number {
  if (total <= 0) return 0;
  const rank = Math.ceil(quantile * total);
  let seen = 0;
  for (let bin = 0; bin < counts.length; bin++) {
    seen += counts[bin]!;
    if (seen >= rank) return valueOf(bin);
  }
  return valueOf(counts.length - 1);
}
