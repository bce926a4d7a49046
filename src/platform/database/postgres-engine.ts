import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { DatabaseEngine } from './database-engine.js';
import type { Db, ModuleDatabase } from './module-database.js';
import { quoteIdent, type AdminSession } from './admin-session.js';
import { migrationsFolderOf } from './migrations-folder.js';
import { moduleRolePassword } from './module-role-secret.js';
import {
  ensureModuleRoleAndSchema,
  ensureRole,
  grantModuleDataAccess,
  MIGRATIONS_TABLE,
  moduleRoleName,
  roleOwnershipOf,
  signalsRoleName,
} from './module-roles.js';
import { listenForConnectionErrors, ResilientPool, transactionOn } from './postgres-pool.js';

/** Serialises startup migrations across processes sharing one database (and a module copy into it: module-move/). */
export const MIGRATION_LOCK_KEY = 727_001;

export interface PostgresEngineOptions {
  /** The login used for provisioning and migrations (needs CREATEROLE and CREATE on the database). */
  url: string;
  poolSize: number;
  rolePrefix: string;
  /** Module role passwords derive from it (see module-role-secret.ts). */
  roleSecret: string;
  /** While rotating MODULE_DB_SECRET: the old one, whose roles this shop may still claim (MODULE_DB_SECRET_PREVIOUS). */
  previousRoleSecret?: string;
}

/** A query that has not answered in this time is cancelled by the server. */
const STATEMENT_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL with one small pool per module. Each pool logs in as the module's own
 * role, which is a member of no other role: `SET ROLE` or `RESET ROLE` cannot reach
 * another module's schema. The provisioning login (`DATABASE_URL`) is used only while
 * migrating; once the process runs, every connection it holds is a module's role or
 * the signals role, which can do nothing but LISTEN, NOTIFY and answer a ping.
 */
export class PostgresEngine implements DatabaseEngine {
  readonly kind = 'postgres' as const;
  readonly description: string;
  private readonly pools = new Map<string, pg.Pool>();
  private readonly handles = new Map<string, ModuleDatabase>();
  private signalsPool: pg.Pool | undefined;

  constructor(private readonly options: PostgresEngineOptions) {
    const u = new URL(options.url);
    this.description = `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  }

  /** The provisioning login: used here, for roles, schemas, grants and migrations, and nowhere else. */
  async migrate(modules: readonly string[]): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url, application_name: 'shop:provisioning' });
    listenForConnectionErrors(client);
    await client.connect();
    const admin: AdminSession = {
      query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
    };
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      const { rolePrefix, roleSecret, previousRoleSecret } = this.options;
      const ownership = roleOwnershipOf(rolePrefix, roleSecret, previousRoleSecret);
      const signals = signalsRoleName(rolePrefix);
      await ownership.assertAllOwn(admin, [{ role: signals }, ...modules.map((module) => ({ role: moduleRoleName(rolePrefix, module), schema: module }))]);
      await ensureRole(admin, ownership, signals, moduleRolePassword(roleSecret, signals));
      for (const module of modules) {
        const role = moduleRoleName(rolePrefix, module);
        await ensureModuleRoleAndSchema(admin, ownership, module, role, moduleRolePassword(roleSecret, role));
        const migrationsFolder = migrationsFolderOf(module);
        if (migrationsFolder) {
          await migrate(drizzle({ client }), {
            migrationsFolder,
            migrationsSchema: module,
            migrationsTable: MIGRATIONS_TABLE,
          });
        }
        await grantModuleDataAccess(admin, module, role);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await client.end();
    }
  }

  /** The connection string of one of this shop's own login roles. */
  private urlOf(role: string): string {
    const url = new URL(this.options.url);
    url.username = role;
    url.password = moduleRolePassword(this.options.roleSecret, role);
    return url.toString();
  }

  forModule(module: string): ModuleDatabase {
    const existing = this.handles.get(module);
    if (existing) return existing;
    const role = moduleRoleName(this.options.rolePrefix, module);
    const pool = new ResilientPool({
      connectionString: this.urlOf(role),
      max: this.options.poolSize,
      application_name: `shop:${module}`,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
    });
    const db = drizzle({ client: pool }) as unknown as Db;
    const handle: ModuleDatabase = {
      module,
      role,
      db,
      transaction: (work) => transactionOn(pool, work),
    };
    this.pools.set(module, pool);
    this.handles.set(module, handle);
    return handle;
  }

  /**
   * The signals role's pool (at most two connections): it sends the outbox's NOTIFY and
   * answers readiness. Kept open when idle, since a reconnect after a quiet spell would
   * add its set-up time to the next event's delay.
   */
  private signals(): pg.Pool {
    this.signalsPool ??= new ResilientPool({
      connectionString: this.urlOf(signalsRoleName(this.options.rolePrefix)),
      max: 2,
      application_name: 'shop:signals',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 0,
    });
    return this.signalsPool;
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({
        connectionString: this.urlOf(signalsRoleName(this.options.rolePrefix)),
        application_name: 'shop:signals',
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      });
      next.on('notification', (message) => {
        if (message.channel === channel) onMessage(message.payload ?? '');
      });
      // A lost listener reconnects: until then the relay's polling keeps delivering.
      const reconnect = () => {
        if (stopped || client !== next) return;
        client = undefined;
        retry = setTimeout(() => void connect().catch(() => undefined), 1000);
      };
      next.on('error', reconnect);
      next.on('end', reconnect);
      client = next;
      try {
        await next.connect();
        await next.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (error) {
        reconnect();
        throw error;
      }
    };
    await connect().catch(() => undefined);
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.signals().query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  async ping(): Promise<void> {
    await this.signals().query('SELECT 1');
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values(), ...(this.signalsPool ? [this.signalsPool] : [])];
    this.pools.clear();
    this.handles.clear();
    this.signalsPool = undefined;
    await Promise.all(pools.map((p) => p.end()));
  }
}
