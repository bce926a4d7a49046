import type { AppConfig } from '../config/app-config.js';
import type { DatabaseEngine } from './database-engine.js';
import { loadModuleRoleSecret } from './module-role-secret.js';
import { PgliteEngine } from './pglite-engine.js';
import { PostgresEngine } from './postgres-engine.js';

/** PostgreSQL when `DATABASE_URL` is set, the embedded PGlite database otherwise. */
export async function openDatabase(config: AppConfig): Promise<DatabaseEngine> {
  if (config.databaseUrl) {
    return new PostgresEngine({
      url: config.databaseUrl,
      poolSize: config.dbPoolSize,
      rolePrefix: config.moduleRolePrefix,
      roleSecret: loadModuleRoleSecret(config.moduleDbSecret, config.dataDir),
      previousRoleSecret: config.moduleDbSecretPrevious,
    });
  }
  return PgliteEngine.open(config.dataDir, config.moduleRolePrefix);
}
