import { pipeline } from 'node:stream/promises';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { quoteIdent, type AdminSession } from '../admin-session.js';
import { migrationsFolderOf } from '../migrations-folder.js';
import { moduleRolePassword } from '../module-role-secret.js';
import {
  ensureModuleSchema,
  ensureRole,
  grantModuleDataAccess,
  MIGRATIONS_TABLE,
  moduleRoleName,
  roleOwnershipOf,
  signalsRoleName,
} from '../module-roles.js';
import { listenForConnectionErrors } from '../postgres-pool.js';
import { MIGRATION_LOCK_KEY } from '../postgres-engine.js';
import { hasSchema, sequencesOf, tablesOf, useStableText, type ModuleTable } from './module-catalog.js';
import { holdingsOf, holdsData, type Holding } from './module-checksums.js';
import { compareHoldings, type Verified } from './verification-table.js';

export interface CopyModuleOptions {
  module: string;
  /** The provisioning login of the database the module uses now. */
  fromUrl: string;
  /** The provisioning login of the database it moves to (as for DATABASE_URL: CREATEROLE, and CREATE on the database). */
  toUrl: string;
  /** Overwrite a target that holds the module's data already (a stale copy from an earlier move). */
  replace: boolean;
  rolePrefix: string;
  /** The shop's MODULE_DB_SECRET: the module's role gets the password the shop derives from it. */
  roleSecret: string;
  previousRoleSecret?: string;
  /** Told of each step, for the operator. */
  progress: (line: string) => void;
}

export interface CopyModuleResult {
  /** `copied`: this run copied it; `identical`: the target held exactly the source's data already (a rerun). */
  outcome: 'copied' | 'identical';
  verified: Verified[];
  /** Events in the copied outbox not yet published: the module's relay publishes them from the new database. */
  unpublishedEvents: number;
}

/** The copy was not made, for a reason the operator can act on; nothing was written. */
export class MoveRefused extends Error {
  constructor(
    message: string,
    readonly verified?: Verified[],
  ) {
    super(message);
  }
}

/**
 * Copies one module's system of record (its schema, every row, its sequences, its
 * migration history) from the database it uses to another one, creating its role
 * there, and verifies the copy (row counts and checksums per table) before committing.
 *
 * - The source is only read, in one REPEATABLE READ snapshot, and only while no session
 *   of the module's role is connected to it: its writers must be stopped first.
 * - The target is written in one transaction, under the migration lock: a copy that is
 *   stopped (killed, a lost connection, a failed check) leaves nothing behind but the
 *   module's role (made first, as the shop's start makes it), so it can simply be run
 *   again; a run that finds the target already identical changes nothing. Before the
 *   commit, the source as it is then must still be the snapshot that was copied.
 * - A target that holds different data for the module is left alone unless `replace`.
 * - The schema is made by the module's own migrations (the source's history must be the
 *   same as this version's), so the target is what a fresh start would have built.
 */
export async function copyModule(options: CopyModuleOptions): Promise<CopyModuleResult> {
  const { module } = options;
  const role = moduleRoleName(options.rolePrefix, module);
  const source = await connect(options.fromUrl);
  const clients = [source];
  try {
    const target = await connect(options.toUrl);
    clients.push(target);
    if (!(await hasSchema(source, module))) {
      throw new MoveRefused(`the source database holds no ${module} schema: nothing to copy (is it the database ${module} uses now?)`);
    }
    await assertRoleOfSchema(source, module, role, options.rolePrefix);
    // Writers on either side: the module's processes still on the source, or already pointed at the target.
    await assertNoWriters(source, module, role, 'source');
    await assertNoWriters(target, module, role, 'target');

    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const migrations = await assertHistoryOfThisVersion(source, module);
    const tables = await tablesOf(source, module);
    const unpublishedEvents = await unpublishedIn(source, module, tables);

    await target.query('BEGIN');
    // A shop starting on the target waits until the copy is committed (or gone).
    await target.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    let snapshot: Holding[] | undefined;
    if (await hasSchema(target, module)) {
      const there = await holdingsOf(target, module);
      if (holdsData(there)) {
        snapshot = await holdingsOf(source, module);
        const verified = compareHoldings(snapshot, there);
        if (verified.every((v) => v.matches)) {
          await target.query('ROLLBACK');
          return { outcome: 'identical', verified, unpublishedEvents };
        }
        if (!options.replace) {
          throw new MoveRefused(
            `the target already holds ${module} data that differs from the source (a copy from an earlier move, or another shop's): ` +
              'nothing was changed. Pass --replace to overwrite it with the source.',
            verified,
          );
        }
        options.progress(`replacing the ${module} data the target held`);
      }
      // Only migrated (no rows), or replaced on request.
      await target.query(`DROP SCHEMA ${quoteIdent(module)} CASCADE`);
    }

    options.progress(`creating the role and schema of ${module}, and applying its ${migrations.length} migration(s)`);
    // Roles belong to the whole server: they are made on a connection of their own and
    // committed at once (idempotent, as the shop's own start does), so that no lock on them
    // is held through the copy, where it would stall other databases' provisioning.
    const roles = await connect(options.toUrl);
    clients.push(roles);
    await provisionRoles(sessionOf(roles), options);
    const admin = sessionOf(target);
    await ensureModuleSchema(admin, module, role);
    await target.query(
      `CREATE TABLE ${quoteIdent(module)}.${quoteIdent(MIGRATIONS_TABLE)} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
    );
    for (const migration of migrations) {
      for (const statement of migration.sql) if (statement.trim()) await target.query(statement);
    }
    await assertSameTables(tables, await tablesOf(target, module), module);

    for (const table of tables) {
      options.progress(`copying ${module}.${table.name}`);
      await copyTable(source, target, table);
    }
    for (const sequence of await sequencesOf(source, module)) {
      const name = `${quoteIdent(module)}.${quoteIdent(sequence)}`;
      const { rows } = await source.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${name}`);
      await target.query('SELECT setval($1::regclass, $2::bigint, $3)', [name, rows[0]!.last_value, rows[0]!.is_called]);
    }
    await grantModuleDataAccess(admin, module, role);

    options.progress('verifying row counts and checksums');
    snapshot ??= await holdingsOf(source, module);
    const verified = compareHoldings(snapshot, await holdingsOf(target, module));
    if (!verified.every((v) => v.matches)) {
      throw new MoveRefused('the copy does not match the source: nothing was committed to the target', verified);
    }
    // The snapshot is what was copied; the source as it is now must still be that, or a
    // writer committed meanwhile (one that connected during the copy, or committed just
    // before it went) and its writes would be left behind.
    const now = await connect(options.fromUrl);
    clients.push(now);
    await assertNoWriters(now, module, role, 'source', 0);
    const drift = compareHoldings(snapshot, await holdingsOf(now, module)).filter((v) => !v.matches);
    if (drift.length) {
      throw new MoveRefused(
        `the source changed while it was being copied (${drift.map((v) => v.object).join(', ')}): a writer of ${module} is still at work. ` +
          'Nothing was committed to the target; stop every process hosting the module and run this again.',
      );
    }
    await target.query('COMMIT');
    return { outcome: 'copied', verified, unpublishedEvents };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}

function sessionOf(client: pg.Client): AdminSession {
  return { query: async (text, params) => (await client.query(text, params as unknown[])).rows };
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'shop:extract-data' });
  listenForConnectionErrors(client);
  await client.connect();
  await useStableText(client);
  return client;
}

/** How long a process that was just stopped may take to be gone from the server's sessions. */
const WRITERS_GRACE_MS = 5_000;

/**
 * Sessions of the module on one side: its role's, or a process's pools for it
 * (application_name `shop:<module>`). A writer on the source would change it after the
 * snapshot, and its writes would be lost; one on the target is a process already pointed
 * there, about to write into a database that has no data yet. A process stopped a moment
 * ago may still be disconnecting, so they are given a few seconds to go.
 */
async function assertNoWriters(client: pg.Client, module: string, role: string, side: 'source' | 'target', graceMs = WRITERS_GRACE_MS): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    // A fresh look at the server's sessions, not the ones this transaction saw first.
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ sessions: number }>(
      `SELECT count(*)::int AS sessions FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND (usename = $1 OR application_name = $2)`,
      [role, `shop:${module}`],
    );
    const sessions = rows[0]!.sessions;
    if (sessions === 0) return;
    if (Date.now() >= deadline) {
      throw new MoveRefused(
        `${sessions} session(s) of ${role} are connected to the ${side} database: processes hosting ${module} are ${side === 'source' ? 'still running' : 'already pointed at it'}. ` +
          `Stop the module's writers first (its service, or the monolith while it hosts the module; docs/extraction.md), then run this again. ` +
          `A session left by a crashed process can be ended with SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}'.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The module's role must be the one the source grants the schema to: otherwise MODULE_ROLE_PREFIX is not the shop's, and no writer would be seen. */
async function assertRoleOfSchema(source: pg.Client, module: string, role: string, prefix: string): Promise<void> {
  const { rows } = await source.query<{ granted: boolean }>(
    `SELECT has_schema_privilege(r.oid, n.oid, 'USAGE') AS granted FROM pg_roles r, pg_namespace n WHERE r.rolname = $1 AND n.nspname = $2`,
    [role, module],
  );
  if (!rows[0]?.granted) {
    throw new MoveRefused(
      `the source's ${module} schema is not ${role}'s: run this with the shop's MODULE_ROLE_PREFIX (now "${prefix}") and MODULE_DB_SECRET`,
    );
  }
}

/**
 * The target's schema is built by this version's migrations; that is the source's
 * schema only when the source has exactly these migrations applied.
 */
async function assertHistoryOfThisVersion(source: pg.Client, module: string): Promise<ReturnType<typeof readMigrationFiles>> {
  const folder = migrationsFolderOf(module);
  const migrations = folder ? readMigrationFiles({ migrationsFolder: folder }) : [];
  let applied: string[] = [];
  try {
    const { rows } = await source.query<{ hash: string }>(`SELECT hash FROM ${quoteIdent(module)}.${quoteIdent(MIGRATIONS_TABLE)} ORDER BY id`);
    applied = rows.map((row) => row.hash);
  } catch (error) {
    if ((error as { code?: string }).code !== '42P01') throw error;
    // No history at all is only right for a module without migrations; a failed statement ends the snapshot, so start it again.
    await source.query('ROLLBACK');
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }
  const expected = migrations.map((m) => m.hash);
  if (applied.join() !== expected.join()) {
    const known = applied.filter((hash) => expected.includes(hash)).length;
    throw new MoveRefused(
      applied.length < expected.length && known === applied.length
        ? `the source's ${module} schema has ${applied.length} of this version's ${expected.length} migrations: start the shop on this version once (or run npm run db:migrate) so that it is up to date, then move it`
        : `the source's ${module} schema was migrated by another version of the shop (${applied.length} migrations, ${known} of them this version's): run the move with the version the shop runs`,
    );
  }
  return migrations;
}

async function unpublishedIn(source: pg.Client, module: string, tables: readonly ModuleTable[]): Promise<number> {
  if (!tables.some((t) => t.name === 'outbox')) return 0;
  const { rows } = await source.query<{ events: number }>(
    `SELECT count(*)::int AS events FROM ${quoteIdent(module)}.outbox WHERE published_at IS NULL`,
  );
  return rows[0]!.events;
}

async function provisionRoles(admin: AdminSession, options: CopyModuleOptions): Promise<void> {
  const { rolePrefix, roleSecret, previousRoleSecret, module } = options;
  const ownership = roleOwnershipOf(rolePrefix, roleSecret, previousRoleSecret);
  const signals = signalsRoleName(rolePrefix);
  const role = moduleRoleName(rolePrefix, module);
  await ownership.assertAllOwn(admin, [{ role: signals }, { role, schema: module }]);
  await ensureRole(admin, ownership, signals, moduleRolePassword(roleSecret, signals));
  await ensureRole(admin, ownership, role, moduleRolePassword(roleSecret, role), module);
}

/** Source and target must have the same tables and columns, or the copy would silently drop data. */
async function assertSameTables(source: readonly ModuleTable[], target: readonly ModuleTable[], module: string): Promise<void> {
  const shape = (tables: readonly ModuleTable[]) => tables.map((t) => `${t.name}(${t.columns.join(',')})`).sort();
  const [s, t] = [shape(source), shape(target)];
  const differ = [...s.filter((x) => !t.includes(x)), ...t.filter((x) => !s.includes(x))];
  if (differ.length) {
    throw new MoveRefused(
      `the source's ${module} tables differ from what its migrations build (${differ.join('; ')}): it was changed by hand; nothing was changed on the target`,
    );
  }
}

/** Streams one table from the source's snapshot into the target, in PostgreSQL's binary COPY format. */
async function copyTable(source: pg.Client, target: pg.Client, table: ModuleTable): Promise<void> {
  if (table.columns.length === 0) return;
  const columns = table.columns.join(', ');
  // The module's own triggers would rewrite rows as they arrive; the copy is of the rows as they are.
  await target.query(`ALTER TABLE ${table.qualified} DISABLE TRIGGER USER`);
  const reading = source.query(copyTo(`COPY ${table.qualified} (${columns}) TO STDOUT (FORMAT binary)`));
  const writing = target.query(copyFrom(`COPY ${table.qualified} (${columns}) FROM STDIN (FORMAT binary)`));
  await pipeline(reading, writing);
  await target.query(`ALTER TABLE ${table.qualified} ENABLE TRIGGER USER`);
}
