import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/**
 * A drizzle handle that runs every statement as one module's own Postgres role.
 * The role is granted privileges on that module's schema alone, so a query that
 * strays into another module's tables fails with `permission denied` at run time,
 * not only in review.
 */
export type Db = PgDatabase<PgQueryResultHKT>;

export interface ModuleDatabase {
  readonly module: string;
  /** The Postgres role every statement of this handle runs as. */
  readonly role: string;
  readonly db: Db;
  /** Runs `work` in one transaction, as the module's role. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
}

/** Injection token: each module's Nest module provides its own handle under it. */
export const MODULE_DATABASE = Symbol('MODULE_DATABASE');
