import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/app-config.js';
import type { DatabaseEngine } from '../../src/platform/database/database-engine.js';
import { openDatabase } from '../../src/platform/database/open-database.js';
import { createTestDatabase, testRolePrefix, type TestDatabase } from '../support/test-database.js';
import { TEST_MODULE_DB_SECRET } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

/** One process, two databases: payments in its own (DATABASE_URL_PAYMENTS), the rest in the shared one. */
describe('a module in a database of its own', () => {
  let shared: TestDatabase;
  let own: TestDatabase;
  let engine: DatabaseEngine;
  const modules = ['catalog', 'payments'];

  beforeAll(async () => {
    shared = await createTestDatabase({ template: 'template0' });
    own = await createTestDatabase({ template: 'template0' });
    const config = loadConfig({ DATABASE_URL: shared.url, MODULE_DB_SECRET: TEST_MODULE_DB_SECRET, MODULE_ROLE_PREFIX: testRolePrefix(), DB_POOL_SIZE: '2' });
    engine = await openDatabase(config, modules, new Map([['payments', own.url]]));
    await engine.migrate(modules);
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
    await Promise.all([shared?.drop(), own?.drop()]);
  });

  const schemasIn = async (database: TestDatabase) =>
    (await database.sql<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname IN ('catalog', 'payments') ORDER BY 1")).map((r) => r.nspname);

  it('should migrate each module in its own database, and nothing of it in the other', async () => {
    expect(await schemasIn(shared)).toEqual(['catalog']);
    expect(await schemasIn(own)).toEqual(['payments']);
    expect(engine.description).toMatch(/catalog: PostgreSQL at .*\/shop_test_\w+; payments: PostgreSQL at .*\/shop_test_\w+/);
  });

  it("should give each module a handle on its own database, as its own role", async () => {
    await engine.forModule('payments').db.execute(sql`INSERT INTO payments.outbox (id, type, version, payload, occurred_at, correlation_id, causation_id)
      VALUES (gen_random_uuid(), 't', 1, '{}', now(), 'c', 'c')`);
    expect(await own.sql('SELECT 1 FROM payments.outbox')).toHaveLength(1);
    const answer = (await engine.forModule('catalog').db.execute(sql`SELECT current_user AS role, current_database() AS db`)) as unknown as { rows: unknown[] };
    const [who] = answer.rows;
    expect(who).toEqual({ role: `${testRolePrefix()}catalog`, db: shared.name });
    expect(() => engine.forModule('ordering')).toThrowError(/ordering has no database in this process/);
  });

  it("should hear the outbox's NOTIFY from every database", async () => {
    const heard: string[] = [];
    const stop = await engine.listen('shop_outbox_test', (payload) => heard.push(payload));
    try {
      await shared.sql("SELECT pg_notify('shop_outbox_test', 'catalog')");
      await own.sql("SELECT pg_notify('shop_outbox_test', 'payments')");
      await waitFor(() => heard.length >= 2, { what: 'both notifications' });
      expect(heard.sort()).toEqual(['catalog', 'payments']);
      // A NOTIFY the process sends reaches listeners on every one of its databases.
      heard.length = 0;
      await engine.notify('shop_outbox_test', 'both');
      await waitFor(() => heard.length >= 2, { what: 'the process\'s own notification, from each database' });
      expect(heard).toEqual(['both', 'both']);
    } finally {
      await stop();
    }
  });

  it('should not be ready while one of its databases is gone', async () => {
    await expect(engine.ping()).resolves.toBeUndefined();
    const config = loadConfig({ DATABASE_URL: shared.url, MODULE_DB_SECRET: TEST_MODULE_DB_SECRET, MODULE_ROLE_PREFIX: testRolePrefix() });
    const missing = new URL(own.url);
    missing.pathname = '/shop_test_no_such_database';
    const broken = await openDatabase(config, modules, new Map([['payments', missing.toString()]]));
    try {
      await expect(broken.ping()).rejects.toThrow(/does not exist/);
    } finally {
      await broken.close();
    }
  });
});
