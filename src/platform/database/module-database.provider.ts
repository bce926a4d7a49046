import type { Provider } from '@nestjs/common';
import type { DatabaseEngine } from './database-engine.js';
import { DATABASE_ENGINE } from './database.tokens.js';
import { MODULE_DATABASE } from './module-database.js';

/**
 * Gives a module its own database handle under MODULE_DATABASE. Nest providers are
 * module-scoped, so each module sees only the handle for its own role.
 */
export function moduleDatabaseProvider(module: string): Provider {
  return {
    provide: MODULE_DATABASE,
    useFactory: (engine: DatabaseEngine) => engine.forModule(module),
    inject: [DATABASE_ENGINE],
  };
}
