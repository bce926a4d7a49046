import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { DomainError } from '../contracts/domain-error.js';
import { producerConnection } from '../events/redis-connection.js';
import { LOGGER } from '../logging/logger.token.js';
import { Throttle } from './throttle.js';

/** A sign-in waits no longer than this for Redis before the in-memory counters answer. */
const REDIS_COMMAND_TIMEOUT_MS = 500;

export interface ThrottleOptions {
  /** Names the counters (`identity.login-failures-per-address`); part of their keys. */
  name: string;
  /** Attempts allowed per key within the window; 0 turns the limit off. */
  points: number;
  windowSeconds: number;
  /** How long a key is refused once over the limit (default: the window). */
  blockSeconds?: number;
  /** The error a refused attempt gets (a `rate_limited` DomainError: 429 with Retry-After). */
  refuse: (retryAfterSeconds: number) => DomainError;
}

/**
 * Makes throttles (rate-limiter-flexible). With REDIS_URL the counters live in Redis,
 * shared by every instance of the shop, under the shop's key prefix; if Redis is away,
 * each instance counts in memory meanwhile (the insurance limiter) instead of failing
 * the request or letting every attempt through. Without Redis they live in memory.
 */
@Injectable()
export class Throttles implements OnApplicationShutdown {
  private redis: Redis | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  create(options: ThrottleOptions): Throttle {
    if (options.points <= 0) return new Throttle(null, options.refuse);
    const limits = {
      points: options.points,
      duration: options.windowSeconds,
      blockDuration: options.blockSeconds ?? options.windowSeconds,
      keyPrefix: `${this.config.events.queuePrefix}:throttle:${options.name}`,
    };
    const memory = new RateLimiterMemory(limits);
    if (!this.config.redisUrl) return new Throttle(memory, options.refuse);
    // One connection for every throttle; without an offline queue and with a command
    // timeout, so a command fails at once while Redis is away, or soon while it hangs,
    // and the insurance limiter answers instead.
    this.redis ??= producerConnection(this.config.redisUrl, this.logger, { name: 'shop-throttles', commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS });
    const limiter: RateLimiterAbstract = new RateLimiterRedis({ ...limits, storeClient: this.redis, insuranceLimiter: memory });
    return new Throttle(limiter, options.refuse);
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
