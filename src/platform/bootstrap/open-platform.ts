import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import type { Placement } from '../config/placement.js';
import { loadSigningKeys } from '../auth/signing-keys.js';
import { openDatabase } from '../database/open-database.js';
import type { PlatformResources } from '../platform.module.js';

/**
 * Opens what must exist before any module starts: the database (migrated, under an
 * advisory lock) and the token signing keys. The first log lines say which database
 * is in use, so nobody mistakes the embedded fallback for their PostgreSQL.
 */
export async function openPlatform(config: AppConfig, logger: Logger, placement: Placement): Promise<PlatformResources> {
  const modules = placement.hosted;
  if (placement.remote.size > 0) {
    logger.info(
      { process: placement.process, hosted: placement.hosted, remote: Object.fromEntries(placement.remote) },
      `this process hosts ${placement.hosted.join(', ')}; the other modules are called at their services`,
    );
  }
  if (placement.handover.length > 0 && placement.process === 'monolith') {
    logger.info(
      { handover: placement.handover },
      `handing over ${placement.handover.join(', ')}: hosted here and by its service, on the same schema, while the gateway moves its traffic`,
    );
  }
  const database = await openDatabase(config, modules, placement.databases);
  if (!config.databaseUrl && modules.some((module) => !placement.databases.has(module))) {
    logger.warn(
      { database: database.description },
      'DATABASE_URL is not set: using the embedded PGlite database (data kept in the data folder). Set DATABASE_URL to use PostgreSQL.',
    );
  } else {
    logger.info({ database: database.description }, 'using PostgreSQL');
  }
  if (placement.databases.size > 0) {
    logger.info(
      { modules: [...placement.databases.keys()] },
      `${[...placement.databases.keys()].join(', ')} ${placement.databases.size === 1 ? 'has its' : 'have their'} own database (DATABASE_URL_<MODULE>)`,
    );
  }
  if (config.redisUrl) {
    const redis = new URL(config.redisUrl);
    logger.info(
      { redis: `${redis.hostname}:${redis.port || 6379}${redis.pathname.length > 1 ? redis.pathname : ''}`, queuePrefix: config.events.queuePrefix },
      'integration events go through Redis (BullMQ queues); brute-force counters are kept there too',
    );
  } else {
    logger.info('REDIS_URL is not set: integration events are delivered in-process, brute-force counters kept in memory');
  }
  try {
    if (config.migrateOnStart) {
      await database.migrate(modules);
      logger.info({ modules }, 'schemas and migrations are up to date');
    }
    const signingKeys = await loadSigningKeys(config);
    return { config, logger, database, signingKeys, placement };
  } catch (error) {
    await database.close();
    throw error;
  }
}
