import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; limit: 'client-address' | 'user' };
type Limit = { points: number; durationSeconds: number };
type LimitName = 'client-address' | 'user';

const ALLOWED: RateVerdict = Object.freeze({ allowed: true });

/** A user id longer than this is hashed into its key: the `sub` is read unverified, and a forged one must not bloat Redis. */
const MAX_USER_KEY = 64;

/**
 * The gateway's rate limits, per route and client address and per route and user
 * (rate-limiter-flexible). With a Redis client every replica shares one budget
 * (RateLimiterRedis); without, each process counts on its own (RateLimiterMemory).
 *
 * Redis never fails a request: while it is unreachable (the client is not `ready`) each
 * replica counts in its own memory (the insurance limiter), which is logged once per
 * outage. Pass a client that fails fast rather than queueing (`enableOfflineQueue:
 * false`, a short `commandTimeout`): a Redis that is connected but silent is only
 * noticed by the client's own timeout.
 *
 * Keys are `<keyPrefix>:addr:<route>:<address>` and `<keyPrefix>:user:<route>:<user>`;
 * the caller passes the matched route's name, so `/API/v1/Payments/` and
 * `/api/v1/payments` spend the same budget.
 */
export class GatewayRateLimits {
  private degraded = false;

  private constructor(
    private readonly byAddress: RateLimiterAbstract | undefined,
    private readonly byUser: RateLimiterAbstract | undefined,
    private readonly redis: Redis | undefined,
    private readonly logger: Logger | undefined,
  ) {
    redis?.on('ready', this.onRedisReady);
  }

  static create(options: {
    redis?: Redis;
    keyPrefix: string;
    perClientAddress: Limit | null;
    perUser: Limit | null;
    /** Where the switch to (and back from) in-memory counting is logged. */
    logger?: Logger;
  }): GatewayRateLimits {
    // Late-bound: the limiters are made before the instance that logs for them.
    let self: GatewayRateLimits | undefined;
    const onInsurance = () => self?.insuranceUsed();
    const make = (limit: Limit | null, name: string): RateLimiterAbstract | undefined => {
      if (limit === null) return undefined;
      const base = { points: limit.points, duration: limit.durationSeconds, keyPrefix: `${options.keyPrefix}:${name}` };
      if (!options.redis) return new RateLimiterMemory(base);
      return new RateLimiterRedis({
        ...base,
        storeClient: options.redis,
        // Disconnected: go to the insurance limiter at once instead of waiting on the client.
        rejectIfRedisNotReady: true,
        // A key whose budget is spent is refused from memory for the rest of its window:
        // a client hammering past its limit costs Redis nothing.
        inMemoryBlockOnConsumed: limit.points,
        insuranceLimiter: new InsuranceLimiter(base, onInsurance),
      });
    };
    self = new GatewayRateLimits(make(options.perClientAddress, 'addr'), make(options.perUser, 'user'), options.redis, options.logger);
    return self;
  }

  /** One request of a client (and of a user, when the request carries one) on a route (the matched route's name, or 'monolith'). */
  async consume(route: string, clientAddress: string, user: string | undefined): Promise<RateVerdict> {
    // Both limits are asked at once (one round trip to Redis, not two); each promise has
    // its handlers attached at once, so neither rejection is ever left unhandled.
    const address = this.byAddress?.consume(`${route}:${clientAddress}`).then(allowed, this.refusedByAddress);
    const byUser = user !== undefined && this.byUser ? this.byUser.consume(`${route}:${userKey(user)}`).then(allowed, this.refusedByUser) : undefined;
    const first = address === undefined ? ALLOWED : await address;
    const second = byUser === undefined ? ALLOWED : await byUser;
    return first.allowed ? second : first;
  }

  /** Stops listening to the Redis client (the caller owns and closes it). */
  async close(): Promise<void> {
    this.redis?.off('ready', this.onRedisReady);
  }

  private readonly refusedByAddress = (reason: unknown): RateVerdict => this.refused(reason, 'client-address');
  private readonly refusedByUser = (reason: unknown): RateVerdict => this.refused(reason, 'user');

  private refused(reason: unknown, limit: LimitName): RateVerdict {
    if (reason instanceof RateLimiterRes) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(reason.msBeforeNext / 1000)), limit };
    }
    // Not a verdict but a failure of the limiter itself (the insurance covers Redis, so
    // this is unexpected): let the request through rather than fail it.
    if (!this.degraded) this.logger?.error({ err: reason, limit }, `the ${limit} rate limit failed; letting requests through`);
    this.degraded = true;
    return ALLOWED;
  }

  private insuranceUsed(): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger?.warn('Redis is unreachable: rate limits are counted in this process only until it is back');
  }

  private readonly onRedisReady = (): void => {
    if (!this.degraded) return;
    this.degraded = false;
    this.logger?.info('Redis is back: rate limits are shared again');
  };
}

/** The in-memory limiter that answers while Redis cannot; tells its owner when it does. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    options: { points: number; duration: number; keyPrefix: string },
    private readonly onUse: () => void,
  ) {
    super(options);
  }

  override consume(key: string | number, points?: number, options?: { [key: string]: unknown }): Promise<RateLimiterRes> {
    this.onUse();
    return super.consume(key, points, options);
  }
}

function allowed(): RateVerdict {
  return ALLOWED;
}

function userKey(user: string): string {
  return user.length <= MAX_USER_KEY ? user : createHash('sha256').update(user).digest('base64url');
}
