import type { MismatchSample } from './shadow-types.js';

/** The newest `capacity` mismatch samples of a route. */
export class MismatchSamples {
  private items: MismatchSample[] = [];

  constructor(private capacity: number) {}

  add(sample: MismatchSample): void {
    if (this.capacity === 0) return;
    this.items.push(sample);
    // At most 1,000 (the schema's bound), and only on a mismatch: shifting is cheap enough.
    if (this.items.length > this.capacity) this.items.shift();
  }

  resize(capacity: number): void {
    this.capacity = capacity;
    if (this.items.length > capacity) this.items = this.items.slice(this.items.length - capacity);
  }

  /** Oldest first. */
  list(): MismatchSample[] {
    return this.items.slice();
  }
}
