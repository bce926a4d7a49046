import { quoteIdent, type AdminSession } from './admin-session.js';

export const MIGRATIONS_TABLE = '__migrations';

export function moduleRoleName(prefix: string, module: string): string {
  return `${prefix}${module}`;
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const PASSWORD = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Creates the module's role and schema if they are missing. With a password the role
 * can log in (PostgreSQL: each module connects as itself, a member of no other role,
 * so `SET ROLE` cannot lead anywhere); without one it is NOLOGIN (PGlite, where the
 * single connection switches role per transaction).
 *
 * Roles are cluster-wide while advisory locks are per database, so two databases
 * provisioning the same role at once can collide; those errors are retried (see
 * ../shared/STACK.md, trap 9).
 */
export async function ensureModuleRoleAndSchema(
  admin: AdminSession,
  module: string,
  role: string,
  password?: string,
): Promise<void> {
  if (!NAME.test(module) || !NAME.test(role)) throw new Error(`invalid module or role name: ${module}/${role}`);
  if (password !== undefined && !PASSWORD.test(password)) throw new Error('module role password has an unsafe shape');
  const login = password === undefined ? 'NOLOGIN' : `LOGIN PASSWORD '${password}'`;
  await retryOnCatalogRace(async () => {
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
        CREATE ROLE ${quoteIdent(role)} ${login} NOINHERIT;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
  });
  if (password !== undefined) {
    // The password derives from MODULE_DB_SECRET; re-set it so a rotated secret takes effect.
    await retryOnCatalogRace(() => admin.query(`ALTER ROLE ${quoteIdent(role)} ${login} NOINHERIT`));
  }
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
