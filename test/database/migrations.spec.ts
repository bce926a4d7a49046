import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONOLITH_MODULES } from '../../src/app.module.js';
import { testRolePrefix } from '../support/test-database.js';
import { databaseUrl, TEST_MODULE_DB_SECRET, testPostgresUrl } from '../support/test-env.js';
import pg from 'pg';
import { PostgresEngine } from '../../src/platform/database/postgres-engine.js';

describe('startup migrations', () => {
  const name = `shop_test_${process.ppid}_migrations`;
  // A database of its own is another shop: it gets roles of its own (roles are server-wide).
  const rolePrefix = `${testRolePrefix()}m_`;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: testPostgresUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('should let several processes migrate an empty database at once, applying each migration once', async () => {
    const engines = Array.from({ length: 4 }, () => new PostgresEngine({ url: databaseUrl(name), poolSize: 1, rolePrefix, roleSecret: TEST_MODULE_DB_SECRET }));
    try {
      await Promise.all(engines.map((engine) => engine.migrate(MONOLITH_MODULES)));
    } finally {
      await Promise.all(engines.map((engine) => engine.close()));
    }
    const db = new pg.Client({ connectionString: databaseUrl(name) });
    await db.connect();
    try {
      for (const module of MONOLITH_MODULES) {
        // Each module keeps its own bookkeeping table inside its own schema.
        const { rows } = await db.query(`SELECT hash FROM ${module}.__migrations`);
        expect(rows.length, module).toBeGreaterThan(0);
        expect(new Set(rows.map((r) => r.hash)).size, module).toBe(rows.length);
      }
      // Module tables live only in their module's schema.
      const { rows: misplaced } = await db.query(
        `SELECT table_schema, table_name FROM information_schema.tables
          WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema <> ALL($1)`,
        [MONOLITH_MODULES],
      );
      expect(misplaced).toEqual([]);
    } finally {
      await db.end();
    }
  });

  it('should be a no-op when run again', async () => {
    const recorded = async () => {
      const db = new pg.Client({ connectionString: databaseUrl(name) });
      await db.connect();
      try {
        const all: unknown[] = [];
        for (const module of MONOLITH_MODULES) {
          all.push(...(await db.query(`SELECT id, hash, created_at FROM ${module}.__migrations ORDER BY id`)).rows);
        }
        return all;
      } finally {
        await db.end();
      }
    };
    const before = await recorded();
    const engine = new PostgresEngine({ url: databaseUrl(name), poolSize: 1, rolePrefix, roleSecret: TEST_MODULE_DB_SECRET });
    try {
      await engine.migrate(MONOLITH_MODULES);
    } finally {
      await engine.close();
    }
    expect(await recorded()).toEqual(before);
  });
});
