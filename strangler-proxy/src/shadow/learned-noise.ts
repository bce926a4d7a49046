/**
 * The fields a route has learned to be noise: they differed between two answers of the
 * monolith to the same request (Diffy's primary and secondary). Kept as patterns (array
 * indexes as `*`), and bounded: past the capacity nothing more is learned, so an answer
 * that differs everywhere cannot grow memory (per-request noise still applies then).
 */
export class LearnedNoise {
  private readonly patterns = new Set<string>();

  constructor(private readonly capacity = 256) {}

  /** Adds the patterns not yet known; answers those it added, and whether some were refused for want of room. */
  learn(patterns: Iterable<string>): { added: string[]; full: boolean } {
    const added: string[] = [];
    let full = false;
    for (const pattern of patterns) {
      if (this.patterns.has(pattern)) continue;
      if (this.patterns.size >= this.capacity) {
        full = true;
        continue;
      }
      this.patterns.add(pattern);
      added.push(pattern);
    }
    return { added, full };
  }

  values(): IterableIterator<string> {
    return this.patterns.values();
  }

  list(): string[] {
    return [...this.patterns];
  }
}
