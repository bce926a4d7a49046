import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DomainError } from '../contracts/domain-error.js';

/**
 * One named limit: at most `points` attempts per key within a window, after which the
 * key is refused for the rest of a block period. Attempts are counted when they begin,
 * not when they fail, so a burst of parallel guesses is cut off at the limit instead
 * of all passing a check made before any of them was counted; a success gives its
 * attempt back (`giveBack`) or clears the key (`reset`).
 */
export class Throttle {
  constructor(
    /** Null when the limit is turned off (0 points). */
    private readonly limiter: RateLimiterAbstract | null,
    private readonly refuse: (retryAfterSeconds: number) => DomainError,
  ) {}

  /** Counts one attempt for `key`; throws the refusal (429) when the key is over its limit. */
  async take(key: string): Promise<void> {
    if (!this.limiter) return;
    try {
      await this.limiter.consume(key);
    } catch (rejection) {
      // A RateLimiterRes is a refusal; anything else is a store failure, which the
      // insurance limiter (memory) already absorbs, so it is a bug worth surfacing.
      if (rejection instanceof RateLimiterRes) throw this.refuse(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      throw rejection;
    }
  }

  /** The attempt turned out fine: it does not count against the key. */
  async giveBack(key: string): Promise<void> {
    await this.limiter?.reward(key, 1);
  }

  /** Forgets the key's attempts (and any block). */
  async reset(key: string): Promise<void> {
    await this.limiter?.delete(key);
  }
}
