import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { MONOLITH_MODULES } from '../../src/app.module.js';
import { PostgresEngine } from '../../src/platform/database/postgres-engine.js';
import { databaseUrl, TEST_MODULE_DB_SECRET, TEST_POSTGRES_URL } from './test-env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/**
 * Migrates one template database per run; each test file then clones it with
 * `CREATE DATABASE … TEMPLATE`, which takes milliseconds instead of a migration run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = `shop_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await dropLeftovers(admin);
  await admin.query(`CREATE DATABASE ${template}`);
  const engine = new PostgresEngine({ url: databaseUrl(template), poolSize: 1, rolePrefix: 'shop_', roleSecret: TEST_MODULE_DB_SECRET });
  try {
    await engine.migrate(MONOLITH_MODULES);
  } finally {
    await engine.close();
  }
  project.provide('templateDatabase', template);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  };
}

/** Databases left by runs that were killed: their owning process no longer exists. */
async function dropLeftovers(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname ~ '^shop_(template|test)_[0-9]+'`,
  );
  for (const { datname } of rows) {
    const pid = Number(/^shop_(?:template|test)_(\d+)/.exec(datname)?.[1]);
    if (isAlive(pid)) continue;
    await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
