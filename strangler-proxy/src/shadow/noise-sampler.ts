/**
 * Which mirrored requests are also sent to the monolith a second time, to learn noise.
 * A steady share `rate` of them, counted rather than drawn at random, so a test (and an
 * operator reading the stats) can say exactly which requests learn. The very first request
 * always learns: before anything is learned every noisy field would otherwise count as a
 * mismatch until a random draw happened to pick a request.
 */
export class NoiseSampler {
  private credit = 1;

  constructor(private rate: number) {}

  setRate(rate: number): void {
    this.rate = rate;
  }

  /** Whether the next mirrored request is a learning sample. */
  take(): boolean {
    if (this.rate <= 0) return false;
    const taken = this.credit >= 1;
    if (taken) this.credit -= 1;
    // Capped so a rate lowered after a long run does not start with a backlog of samples.
    this.credit = Math.min(this.credit + this.rate, 1);
    return taken;
  }
}
