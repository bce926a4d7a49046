import { MONOLITH_MODULES } from './app.module.js';
import { ConfigError, loadConfig } from './platform/config/app-config.js';
import { moduleDatabaseUrls } from './platform/config/module-database-urls.js';
import { openDatabase } from './platform/database/open-database.js';
import { createLogger } from './platform/logging/logger.js';
import { errorText } from './platform/logging/safe-error.js';

/**
 * `npm run db:migrate`: provisions roles and schemas and applies pending migrations
 * for every module, then exits. The same step runs at startup unless
 * MIGRATE_ON_START=false, for deployments that migrate as a separate job. A module
 * with DATABASE_URL_<MODULE> is migrated in its own database.
 */
async function migrateAll(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel, {}, undefined, config.logFormat);
  const databases = moduleDatabaseUrls(process.env, MONOLITH_MODULES);
  if (databases.problems.length) throw new ConfigError(`Invalid configuration:\n${databases.problems.map((p) => `  ${p}`).join('\n')}`);
  const database = await openDatabase(config, MONOLITH_MODULES, databases.urls);
  try {
    logger.info({ database: database.description, modules: MONOLITH_MODULES }, 'migrating');
    await database.migrate(MONOLITH_MODULES);
    logger.info('migrations are up to date');
  } finally {
    await database.close();
  }
}

migrateAll().catch((error: unknown) => {
  // A failed statement's error carries its values: only its safe text is printed.
  console.error(error instanceof ConfigError ? error.message : errorText(error));
  process.exit(1);
});
