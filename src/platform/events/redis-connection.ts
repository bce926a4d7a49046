import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Redis connections as BullMQ's production guidance has them: workers never give up
 * on a command (maxRetriesPerRequest: null) and reconnect forever; producers fail
 * fast while Redis is away (no offline queue) so the outbox keeps the events.
 */
export function workerConnection(url: string, logger: Logger): Redis {
  return watch(new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: false, ...common }), 'worker', logger);
}

/**
 * `name` is the connection's name in Redis (`CLIENT LIST`); the throttles use one of
 * their own, with `commandTimeoutMs`: a Redis that is connected but does not answer
 * must fail a command quickly too, not only one that is disconnected.
 */
export function producerConnection(url: string, logger: Logger, options: { name?: string; commandTimeoutMs?: number } = {}): Redis {
  const name = options.name ?? 'shop-events';
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    ...common,
    connectionName: name,
    ...(options.commandTimeoutMs ? { commandTimeout: options.commandTimeoutMs } : {}),
  });
  return watch(redis, options.name ? name : 'producer', logger);
}

const common: RedisOptions = {
  retryStrategy: (times) => Math.min(times * 200, 2000),
  connectionName: 'shop-events',
};

function watch(redis: Redis, role: string, logger: Logger): Redis {
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error, role }, 'Redis connection lost; retrying');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ role }, 'Redis connection is back');
    down = false;
  });
  return redis;
}

/** BullMQ loses jobs when Redis evicts keys: say so loudly at startup. */
export async function warnUnlessNoEviction(redis: Redis, logger: Logger): Promise<void> {
  try {
    // The producer connection has no offline queue: ask only once it is connected.
    if (redis.status !== 'ready') {
      await new Promise<void>((resolve, reject) => {
        const ready = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          redis.off('ready', ready);
          reject(new Error('Redis did not answer within 5 s'));
        }, 5000);
        redis.once('ready', ready);
      });
    }
    const answer = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = answer[1];
    if (policy !== 'noeviction') {
      logger.warn(
        { maxmemoryPolicy: policy },
        `Redis maxmemory-policy is "${policy}", not "noeviction": under memory pressure Redis may evict queued events. Set maxmemory-policy noeviction.`,
      );
    }
  } catch (error) {
    logger.warn({ err: error }, 'could not read Redis maxmemory-policy (CONFIG GET refused?); make sure it is noeviction');
  }
}
