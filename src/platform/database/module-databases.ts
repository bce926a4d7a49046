import type { DatabaseEngine } from './database-engine.js';
import type { ModuleDatabase } from './module-database.js';

/**
 * What modules get of the database engine: the handle of a module hosted in this
 * process, and nothing else (not migrations, not NOTIFY, not another process's
 * modules). Each module's provider asks for its own (module-database.provider.ts).
 */
export class ModuleDatabases {
  constructor(
    private readonly engine: DatabaseEngine,
    private readonly hosted: readonly string[],
  ) {}

  forModule(module: string): ModuleDatabase {
    if (!this.hosted.includes(module)) throw new Error(`${module} is not hosted in this process; it has no database handle here`);
    return this.engine.forModule(module);
  }
}

export const MODULE_DATABASES = Symbol('MODULE_DATABASES');
