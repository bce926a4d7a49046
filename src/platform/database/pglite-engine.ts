import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { DatabaseEngine } from './database-engine.js';
import type { Db, ModuleDatabase } from './module-database.js';
import { quoteIdent, type AdminSession } from './admin-session.js';
import { migrationsFolderOf } from './migrations-folder.js';
import { ensureModuleRoleAndSchema, grantModuleDataAccess, MIGRATIONS_TABLE, moduleRoleName } from './module-roles.js';

/**
 * The embedded fallback: PostgreSQL compiled to WebAssembly, persisted in a folder.
 * It has a single connection, so a module's role cannot be fixed per connection as
 * on PostgreSQL. Instead every statement a module runs is wrapped in a transaction
 * that starts with `SET LOCAL ROLE`; PGlite runs transactions one at a time, so no
 * other module's statement can slip in between.
 */
export class PgliteEngine implements DatabaseEngine {
  readonly kind = 'pglite' as const;
  readonly description: string;
  private readonly handles = new Map<string, ModuleDatabase>();

  private constructor(
    private readonly pglite: PGlite,
    private readonly rolePrefix: string,
    folder: string,
  ) {
    this.description = `embedded PGlite in ${folder}`;
  }

  static async open(dataDir: string, rolePrefix: string): Promise<PgliteEngine> {
    const folder = path.resolve(dataDir, 'pglite');
    mkdirSync(folder, { recursive: true });
    const pglite = await PGlite.create(folder);
    return new PgliteEngine(pglite, rolePrefix, folder);
  }

  async migrate(modules: readonly string[]): Promise<void> {
    const admin: AdminSession = {
      query: async (sql, params) => (await this.pglite.query<never>(sql, params as unknown[])).rows,
    };
    for (const module of modules) {
      const role = moduleRoleName(this.rolePrefix, module);
      await ensureModuleRoleAndSchema(admin, module, role);
      const migrationsFolder = migrationsFolderOf(module);
      if (migrationsFolder) {
        await migrate(drizzle({ client: this.pglite }), {
          migrationsFolder,
          migrationsSchema: module,
          migrationsTable: MIGRATIONS_TABLE,
        });
      }
      await grantModuleDataAccess(admin, module, role);
    }
  }

  forModule(module: string): ModuleDatabase {
    const existing = this.handles.get(module);
    if (existing) return existing;
    const role = moduleRoleName(this.rolePrefix, module);
    const setRole = `SET LOCAL ROLE ${quoteIdent(role)}`;
    const asRole = <T>(work: (tx: Transaction) => Promise<T>) =>
      this.pglite.transaction(async (tx) => {
        await tx.exec(setRole);
        return work(tx);
      });
    // The subset of PGlite's interface drizzle's pglite session uses: query and transaction.
    const client = {
      query: (sql: string, params?: unknown[], options?: object) => asRole((tx) => tx.query(sql, params, options)),
      transaction: <T>(work: (tx: Transaction) => Promise<T>) => asRole(work),
    };
    const db = drizzle({ client: client as unknown as PGlite }) as unknown as Db;
    const handle: ModuleDatabase = { module, role, db, transaction: (work) => db.transaction(work) };
    this.handles.set(module, handle);
    return handle;
  }

  async ping(): Promise<void> {
    await this.pglite.query('SELECT 1');
  }

  async close(): Promise<void> {
    this.handles.clear();
    if (!this.pglite.closed) await this.pglite.close();
  }
}
