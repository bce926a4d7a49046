import { quoteIdent, type AdminSession } from './admin-session.js';
import { moduleRoleFingerprint } from './module-role-secret.js';

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

/** The start of the comment every role this shop creates or adopts carries. */
const MARKER = 'modular-shop role; owner ';

/** Raised when a role with one of our names exists and belongs to something else. */
export class ForeignRoleError extends Error {}

/**
 * Roles are shared by every database of a PostgreSQL server, so another shop may
 * already own `shop_identity`; resetting its password would break that shop's pools at
 * their next reconnect. Each role this shop creates carries a comment with the
 * fingerprint of the MODULE_DB_SECRET its password derives from (not the password; see
 * module-role-secret.ts), and only a role with this shop's fingerprint is ever altered:
 * - its own fingerprint: this shop, in this database or another one of the same shop
 *   (a clone, a restored copy, a test database made from a template);
 * - the fingerprint of MODULE_DB_SECRET_PREVIOUS: this shop, rotating its secret;
 * - no comment, while this database already grants the role its schema or CONNECT:
 *   provisioned here by a version that left no comment (or handed back by an
 *   administrator who cleared the comment); adopted, and marked from then on.
 * Anything else (another shop's fingerprint, a role something else made) stops
 * provisioning before any role is touched, naming MODULE_ROLE_PREFIX.
 */
export class RoleOwnership {
  constructor(
    private readonly prefix: string,
    /** The fingerprint of this start's secret, per role. */
    private readonly fingerprint: (role: string) => string,
    /** The fingerprint of the secret being rotated away from, if any. */
    private readonly previousFingerprint?: (role: string) => string,
  ) {}

  /** The comment of `role` when this shop owns it. */
  markerOf(role: string): string {
    return `${MARKER}${this.fingerprint(role)}`;
  }

  /** Checks every role before any is created or changed, so a refused start leaves nothing half-provisioned. */
  async assertAllOwn(admin: AdminSession, roles: readonly { role: string; schema?: string }[]): Promise<void> {
    for (const { role, schema } of roles) await this.assertOwn(admin, role, schema);
  }

  /** Throws ForeignRoleError unless `role` is missing or this shop's; `schema` is the one it would be granted. */
  async assertOwn(admin: AdminSession, role: string, schema?: string): Promise<void> {
    const [row] = await admin.query<{ comment: string | null; granted_here: boolean; database: string }>(
      // Granted here: its schema (which a clone of this database keeps), or CONNECT on
      // this database itself, which provisioning grants every role (the signals role has no schema).
      `SELECT shobj_description(r.oid, 'pg_authid') AS comment, current_database() AS database,
              (EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = $2 AND has_schema_privilege(r.oid, n.oid, 'USAGE'))
               OR EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a
                           WHERE d.datname = current_database() AND a.grantee = r.oid)) AS granted_here
         FROM pg_roles r WHERE r.rolname = $1`,
      [role, schema ?? null],
    );
    if (!row) return;
    if (row.comment === this.markerOf(role)) return;
    if (this.previousFingerprint && row.comment === `${MARKER}${this.previousFingerprint(role)}`) return;
    if (row.comment === null && row.granted_here) return;
    const who = row.comment?.startsWith(MARKER)
      ? 'a shop with another MODULE_DB_SECRET created it (another shop on this server, or this one before its secret changed)'
      : 'this shop did not create it';
    throw new ForeignRoleError(
      `Role "${role}" already exists on this PostgreSQL server, and ${who}. Roles are shared by every database of a server, ` +
        `and this shop changes no role it does not own. Give this shop roles of its own with MODULE_ROLE_PREFIX (now "${this.prefix}"), ` +
        `for example MODULE_ROLE_PREFIX=${row.database.replace(/[^a-z0-9_]/g, '_').slice(0, 40)}_; ` +
        `or, if these roles are this shop's and MODULE_DB_SECRET changed, start once with the old secret in MODULE_DB_SECRET_PREVIOUS ` +
        `(if the old secret is lost, an administrator can hand the roles back with COMMENT ON ROLE "${role}" IS NULL, for each one).`,
    );
  }
}

/** The ownership check of a shop with this secret (and, while rotating it, the previous one). */
export function roleOwnershipOf(prefix: string, secret: string, previousSecret?: string): RoleOwnership {
  return new RoleOwnership(
    prefix,
    (role) => moduleRoleFingerprint(secret, role),
    previousSecret ? (role) => moduleRoleFingerprint(previousSecret, role) : undefined,
  );
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
export async function ensureRole(
  admin: AdminSession,
  ownership: RoleOwnership,
  role: string,
  password?: string,
  schema?: string,
): Promise<void> {
  if (!NAME.test(role)) throw new Error(`invalid role name: ${role}`);
  if (password !== undefined && !PASSWORD.test(password)) throw new Error('module role password has an unsafe shape');
  const login = password === undefined ? 'NOLOGIN' : `LOGIN PASSWORD '${password}'`;
  const marker = `'${ownership.markerOf(role).replaceAll("'", "''")}'`;
  await retryOnCatalogRace(async () => {
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
        CREATE ROLE ${quoteIdent(role)} ${login} NOINHERIT;
        COMMENT ON ROLE ${quoteIdent(role)} IS ${marker};
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
  });
  // Created a moment ago by us, or found (or made meanwhile by another start): only ours is altered.
  await ownership.assertOwn(admin, role, schema);
  if (password !== undefined) {
    // The password derives from MODULE_DB_SECRET; re-set it so a rotated secret takes effect.
    await retryOnCatalogRace(() => admin.query(`ALTER ROLE ${quoteIdent(role)} ${login} NOINHERIT`));
  }
  // Adopted and rotated roles are marked as this secret's from now on.
  await retryOnCatalogRace(() => admin.query(`COMMENT ON ROLE ${quoteIdent(role)} IS ${marker}`));
  await admin.query(`DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), '${role}'); END $$`);
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
  await ensureRole(admin, ownership, role, password, module);
  await ensureModuleSchema(admin, module, role);
}

/** The module's schema, if missing, usable by its role alone (the role must exist). */
export async function ensureModuleSchema(admin: AdminSession, module: string, role: string): Promise<void> {
  if (!NAME.test(module)) throw new Error(`invalid module name: ${module}`);
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
