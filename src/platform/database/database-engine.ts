import type { ModuleDatabase } from './module-database.js';

/**
 * The one database the process uses: a PostgreSQL server, or the embedded PGlite
 * fallback. Both expose the same schemas, roles and migrations.
 */
export interface DatabaseEngine {
  readonly kind: 'postgres' | 'pglite';
  /** A human description for the startup log (no credentials). */
  readonly description: string;
  /** Provisions roles and schemas and applies pending migrations, under an advisory lock. */
  migrate(modules: readonly string[]): Promise<void>;
  /** The handle a module uses; it runs as the module's own role. */
  forModule(module: string): ModuleDatabase;
  /**
   * Calls `onMessage` for each NOTIFY on `channel` until the returned function is
   * called. On PostgreSQL a dropped listening connection is re-established.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** Sends a NOTIFY outside any module transaction. */
  notify(channel: string, payload: string): Promise<void>;
  /** Answers when the database accepts queries; throws otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
