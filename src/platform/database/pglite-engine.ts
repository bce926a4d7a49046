import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { transactionWithHooks } from './after-commit.js';
import type { DatabaseEngine } from './database-engine.js';
import type { Db, ModuleDatabase } from './module-database.js';
import { quoteIdent, type AdminSession } from './admin-session.js';
import { migrationsFolderOf } from './migrations-folder.js';
import { ensureModuleRoleAndSchema, grantModuleDataAccess, MIGRATIONS_TABLE, moduleRoleName, RoleOwnership } from './module-roles.js';

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
    private readonly lockFile: string,
  ) {
    this.description = `embedded PGlite in ${folder}`;
  }

  static async open(dataDir: string, rolePrefix: string): Promise<PgliteEngine> {
    const folder = path.resolve(dataDir, 'pglite');
    mkdirSync(folder, { recursive: true });
    const lockFile = lockDataFolder(folder);
    try {
      const pglite = await PGlite.create(folder);
      return new PgliteEngine(pglite, rolePrefix, folder, lockFile);
    } catch (error) {
      rmSync(lockFile, { force: true });
      throw error;
    }
  }

  async migrate(modules: readonly string[]): Promise<void> {
    const admin: AdminSession = {
      query: async (sql, params) => (await this.pglite.query<never>(sql, params as unknown[])).rows,
    };
    // One process's own database: no other shop can share its roles, and they have no passwords.
    const ownership = new RoleOwnership(this.rolePrefix, () => 'embedded');
    await ownership.assertAllOwn(admin, modules.map((module) => ({ role: moduleRoleName(this.rolePrefix, module), schema: module })));
    for (const module of modules) {
      const role = moduleRoleName(this.rolePrefix, module);
      await ensureModuleRoleAndSchema(admin, ownership, module, role);
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
    const handle: ModuleDatabase = { module, role, db, transaction: (work) => transactionWithHooks(db, work) };
    this.handles.set(module, handle);
    return handle;
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const stop = await this.pglite.listen(channel, onMessage);
    return async () => {
      if (!this.pglite.closed) await stop();
    };
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.pglite.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  async ping(): Promise<void> {
    await this.pglite.query('SELECT 1');
  }

  async close(): Promise<void> {
    this.handles.clear();
    if (!this.pglite.closed) await this.pglite.close();
    rmSync(this.lockFile, { force: true });
  }
}

/**
 * PGlite files must be opened by one process at a time; a second opener (a second
 * `npm start`, `npm run db:migrate` while the shop runs) would corrupt them. The lock
 * file names its owner, so a lock left by a crashed process is taken over.
 */
function lockDataFolder(folder: string): string {
  const lockFile = `${folder}.lock`;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return lockFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(lockFile, 'utf8'));
    if (owner && isAlive(owner)) {
      throw new Error(`the embedded database in ${folder} is in use by process ${owner}; stop it first`);
    }
    rmSync(lockFile, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
