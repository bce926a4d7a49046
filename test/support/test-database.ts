import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { databaseUrl, testPostgresUrl } from './test-env.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL as the superuser, for arranging faults and checking stored state. */
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/** MODULE_ROLE_PREFIX of this run's roles: what the template was provisioned with. */
export function testRolePrefix(): string {
  return inject('moduleRolePrefix');
}

/**
 * A fresh database for one test file, cloned from the migrated template. A global setup
 * (which cannot `inject`) names the template, and the run's pid (its own), instead.
 */
export async function createTestDatabase(
  options: { template?: string; runPid?: number } = {},
): Promise<TestDatabase> {
  const template = options.template ?? inject('templateDatabase');
  // Named after the run (a test file's parent), so a later run drops it if this one is killed.
  const name = `shop_test_${options.runPid ?? process.ppid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testPostgresUrl() });
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        break;
      } catch (error) {
        // 55006: the template is briefly in use by another clone; try again.
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  let dropped = false;
  return {
    name,
    url,
    sql: async (text, params) => (await pool.query(text, params)).rows,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await pool.end();
      const dropper = new pg.Client({ connectionString: testPostgresUrl() });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}
