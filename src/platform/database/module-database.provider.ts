import type { Provider } from '@nestjs/common';
import { MODULE_DATABASE } from './module-database.js';
import { MODULE_DATABASES, type ModuleDatabases } from './module-databases.js';

/**
 * Gives a module its own database handle under MODULE_DATABASE. Nest providers are
 * module-scoped, so each module sees only the handle for its own role.
 */
export function moduleDatabaseProvider(module: string): Provider {
  return {
    provide: MODULE_DATABASE,
    useFactory: (databases: ModuleDatabases) => databases.forModule(module),
    inject: [MODULE_DATABASES],
  };
}
