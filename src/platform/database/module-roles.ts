import { quoteIdent, type AdminSession } from './admin-session.js';

export const MIGRATIONS_TABLE = '__migrations';

export function moduleRoleName(prefix: string, module: string): string {
  return `${prefix}${module}`;
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates the module's role and schema if they are missing. Roles are cluster-wide
 * while advisory locks are per database, so two databases provisioning the same role
 * at once can collide; those errors are retried (see ../shared/STACK.md, trap 9).
 */
export async function ensureModuleRoleAndSchema(admin: AdminSession, module: string, role: string): Promise<void> {
  if (!NAME.test(module) || !NAME.test(role)) throw new Error(`invalid module or role name: ${module}/${role}`);
  await retryOnCatalogRace(async () => {
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
        CREATE ROLE ${quoteIdent(role)} NOLOGIN NOINHERIT;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
  });
  // A login user that is not a superuser must be a member of the role to SET ROLE to it.
  const [me] = await admin.query<{ super: boolean; member: boolean }>(
    `SELECT r.rolsuper AS super, pg_has_role(current_user, $1, 'MEMBER') AS member
       FROM pg_roles r WHERE r.rolname = current_user`,
    [role],
  );
  if (me && !me.super && !me.member) {
    await retryOnCatalogRace(() => admin.query(`GRANT ${quoteIdent(role)} TO CURRENT_USER`));
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
  await admin.query(`REVOKE ALL ON TABLE ${s}.${quoteIdent(MIGRATIONS_TABLE)} FROM ${r}`).catch(() => undefined);
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
