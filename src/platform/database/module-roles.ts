import { quoteIdent, type AdminSession } from './admin-session.js';

export const MIGRATIONS_TABLE = '__migrations';

export function moduleRoleName(prefix: string, module: string): string {
  if (module === SIGNALS) throw new Error(`"${SIGNALS}" is the name of the platform's own role; a module cannot take it`);
  return `${prefix}${module}`;
}

const SIGNALS = 'signals';

/**
 * The role the running process uses for what belongs to no module: LISTEN/NOTIFY for
 * the outbox relay, and the readiness ping. It is granted nothing (no schema, no
 * table), so after provisioning nothing in the process runs with the provisioning login.
 */
export function signalsRoleName(prefix: string): string {
  return `${prefix}${SIGNALS}`;
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const PASSWORD = /^[A-Za-z0-9_-]{16,128}$/;

/** The comment a role gets when this shop creates it: which database first provisioned it. */
const MARKER = 'modular-shop role, created for database ';

/** Raised when a role with one of our names exists and belongs to something else. */
export class ForeignRoleError extends Error {}

/**
 * Roles are shared by every database of a PostgreSQL server, so another shop (another
 * database, another MODULE_DB_SECRET) may already own `shop_identity`; resetting its
 * password would break that shop's pools at their next reconnect. This shop treats a
 * role as its own only if it created the role for this database (the comment it leaves
 * says so), or if this database already grants the role its schema: it was provisioned
 * here before (by an earlier start, by an older version, or in the template this
 * database was cloned from). Anything else stops provisioning before a role is touched.
 */
export class RoleOwnership {
  private constructor(
    private readonly database: string,
    private readonly provisionedHere: boolean,
    private readonly prefix: string,
  ) {}

  /** Looks once at whether this database already holds the schemas of `<prefix><module>` roles. */
  static async of(admin: AdminSession, prefix: string, modules: readonly string[]): Promise<RoleOwnership> {
    const [row] = await admin.query<{ database: string; provisioned: boolean }>(
      `SELECT current_database() AS database,
              EXISTS (SELECT 1 FROM pg_namespace n JOIN pg_roles r ON r.rolname = $1 || n.nspname
                       WHERE n.nspname = ANY($2::text[]) AND has_schema_privilege(r.oid, n.oid, 'USAGE')) AS provisioned`,
      [prefix, [...modules]],
    );
    return new RoleOwnership(row!.database, row!.provisioned, prefix);
  }

  get databaseName(): string {
    return this.database;
  }

  /** The marker comment for roles this shop creates here. */
  get marker(): string {
    return `${MARKER}${this.database}`;
  }

  /** Checks every role before any is created or changed, so a refused start leaves nothing half-provisioned. */
  async assertAllOwn(admin: AdminSession, roles: readonly string[]): Promise<void> {
    for (const role of roles) await this.assertOwn(admin, role);
  }

  /** Throws ForeignRoleError unless `role` (which exists) is this shop's. */
  async assertOwn(admin: AdminSession, role: string): Promise<void> {
    if (this.provisionedHere) return;
    const [row] = await admin.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = $1`,
      [role],
    );
    if (!row || row.comment === this.marker) return;
    throw new ForeignRoleError(
      `Role "${role}" already exists on this PostgreSQL server, and this database ("${this.database}") did not create it: ` +
        `${row.comment?.startsWith(MARKER) ? `another shop did, for database "${row.comment.slice(MARKER.length)}"` : 'something else did'}. ` +
        `Roles are shared by every database of a server, and this shop will not change a role it does not own. ` +
        `Give this shop roles of its own with MODULE_ROLE_PREFIX (now "${this.prefix}"), for example MODULE_ROLE_PREFIX=${this.database.replace(/[^a-z0-9_]/g, '_').slice(0, 40)}_.`,
    );
  }
}

/**
 * Creates a login role (or a NOLOGIN one, without a password) if it is missing, leaving
 * the ownership marker on it, and sets its password. A role that exists must be this
 * shop's (RoleOwnership), or nothing is changed.
 *
 * Roles are cluster-wide while advisory locks are per database, so two databases
 * provisioning the same role at once can collide; those errors are retried (see
 * ../shared/STACK.md, trap 9).
 */
export async function ensureRole(admin: AdminSession, ownership: RoleOwnership, role: string, password?: string): Promise<void> {
  if (!NAME.test(role)) throw new Error(`invalid role name: ${role}`);
  if (password !== undefined && !PASSWORD.test(password)) throw new Error('module role password has an unsafe shape');
  const login = password === undefined ? 'NOLOGIN' : `LOGIN PASSWORD '${password}'`;
  await retryOnCatalogRace(async () => {
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
        CREATE ROLE ${quoteIdent(role)} ${login} NOINHERIT;
        COMMENT ON ROLE ${quoteIdent(role)} IS '${ownership.marker.replaceAll("'", "''")}';
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
  });
  // Created a moment ago by us, or found: either way, only ours is ever altered.
  await ownership.assertOwn(admin, role);
  if (password !== undefined) {
    // The password derives from MODULE_DB_SECRET; re-set it so a rotated secret takes effect.
    await retryOnCatalogRace(() => admin.query(`ALTER ROLE ${quoteIdent(role)} ${login} NOINHERIT`));
  }
  await admin.query(`GRANT CONNECT ON DATABASE ${quoteIdent(ownership.databaseName)} TO ${quoteIdent(role)}`);
}

/**
 * Creates the module's role (ensureRole) and its schema if they are missing. With a
 * password the role can log in (PostgreSQL: each module connects as itself, a member of
 * no other role, so `SET ROLE` cannot lead anywhere); without one it is NOLOGIN
 * (PGlite, where the single connection switches role per transaction).
 */
export async function ensureModuleRoleAndSchema(
  admin: AdminSession,
  ownership: RoleOwnership,
  module: string,
  role: string,
  password?: string,
): Promise<void> {
  if (!NAME.test(module)) throw new Error(`invalid module name: ${module}`);
  await ensureRole(admin, ownership, role, password);
  await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(module)}`);
  await admin.query(`REVOKE ALL ON SCHEMA ${quoteIdent(module)} FROM PUBLIC`);
  await admin.query(`GRANT USAGE ON SCHEMA ${quoteIdent(module)} TO ${quoteIdent(role)}`);
}

/**
 * Grants the module's role data access (no DDL) to every table and sequence that
 * its migrations created, but not to the migrations bookkeeping table.
 */
export async function grantModuleDataAccess(admin: AdminSession, module: string, role: string): Promise<void> {
  const s = quoteIdent(module);
  const r = quoteIdent(role);
  await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`);
  await admin.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`);
  await admin.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${s} TO ${r}`);
  await admin.query(`REVOKE ALL ON TABLE ${s}.${quoteIdent(MIGRATIONS_TABLE)} FROM ${r}`).catch((error: unknown) => {
    // A module with no migrations has no bookkeeping table: nothing to revoke.
    if ((error as { code?: string }).code !== '42P01') throw error;
  });
}

const RACE_CODES = new Set(['XX000', '23505', '42710', '40P01']);

async function retryOnCatalogRace<T>(work: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= attempts || !code || !RACE_CODES.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }
}
