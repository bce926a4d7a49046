import type { AppConfig } from '../config/app-config.js';
import type { DatabaseEngine } from './database-engine.js';
import { DatabasesByModule } from './databases-by-module.js';
import { loadModuleRoleSecret } from './module-role-secret.js';
import { PgliteEngine } from './pglite-engine.js';
import { PostgresEngine } from './postgres-engine.js';

/**
 * The databases of `modules`: PostgreSQL at `DATABASE_URL` when it is set, the embedded
 * PGlite database otherwise; and, for a module given one (`databases`, read from
 * DATABASE_URL_<MODULE>), the PostgreSQL database at its own URL. Modules given the
 * same URL share one engine; a URL equal to DATABASE_URL is the shared database.
 */
export async function openDatabase(
  config: AppConfig,
  modules: readonly string[] = [],
  databases: ReadonlyMap<string, string> = new Map(),
): Promise<DatabaseEngine> {
  const own = new Map<string, string[]>();
  const shared: string[] = [];
  for (const module of modules) {
    const url = databases.get(module);
    if (url === undefined || url === config.databaseUrl) shared.push(module);
    else own.set(url, [...(own.get(url) ?? []), module]);
  }
  if (own.size === 0) return openShared(config);
  const opened: { engine: DatabaseEngine; modules: string[] }[] = [];
  try {
    if (shared.length > 0) opened.push({ engine: await openShared(config), modules: shared });
    for (const [url, held] of own) opened.push({ engine: postgresAt(config, url), modules: held });
  } catch (error) {
    await Promise.allSettled(opened.map((d) => d.engine.close()));
    throw error;
  }
  return new DatabasesByModule(opened);
}

function openShared(config: AppConfig): Promise<DatabaseEngine> | DatabaseEngine {
  if (config.databaseUrl) return postgresAt(config, config.databaseUrl);
  return PgliteEngine.open(config.dataDir, config.moduleRolePrefix);
}

function postgresAt(config: AppConfig, url: string): PostgresEngine {
  return new PostgresEngine({
    url,
    poolSize: config.dbPoolSize,
    rolePrefix: config.moduleRolePrefix,
    roleSecret: loadModuleRoleSecret(config.moduleDbSecret, config.dataDir),
    previousRoleSecret: config.moduleDbSecretPrevious,
  });
}
