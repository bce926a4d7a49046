import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONOLITH_MODULES } from '../../src/app.module.js';
import { createTestDatabase, testRolePrefix, type TestDatabase } from '../support/test-database.js';
import { TEST_MODULE_DB_SECRET } from '../support/test-env.js';
import type { DatabaseEngine } from '../../src/platform/database/database-engine.js';
import { PgliteEngine } from '../../src/platform/database/pglite-engine.js';
import { PostgresEngine } from '../../src/platform/database/postgres-engine.js';

/** drizzle wraps the driver's error; the database's own message is its cause. */
async function rejection(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    const e = error as Error & { cause?: Error };
    return `${e.message} | ${e.cause?.message ?? ''}`;
  }
  return 'no error';
}

/**
 * The same isolation checks on both engines: a module's handle reaches its own
 * schema and nothing else, whatever the code asks for.
 */
function isolationSuite(
  name: string,
  open: () => Promise<{ engine: DatabaseEngine; cleanup: () => Promise<void> }>,
  options: { roleSwitchIsFenced: boolean },
) {
  describe(name, () => {
    let engine: DatabaseEngine;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ engine, cleanup } = await open());
    });
    afterAll(async () => {
      await engine.close();
      await cleanup();
    });

    it("should let a module read and write its own tables as its own role", async () => {
      const catalog = engine.forModule('catalog');
      await catalog.db.execute(
        sql`INSERT INTO catalog.products (name, category, price_amount, currency) VALUES ('Kettle', 'kitchen', 2500, 'EUR')`,
      );
      const rows = (await catalog.db.execute(sql`SELECT current_user AS me, count(*)::int AS n FROM catalog.products`)) as unknown as
        | { rows: { me: string; n: number }[] }
        | { me: string; n: number }[];
      const row = Array.isArray(rows) ? rows[0] : rows.rows[0];
      expect(row).toEqual({ me: catalog.role, n: 1 });
    });

    it("should deny inventory's handle any access to catalog.products", async () => {
      const inventory = engine.forModule('inventory');
      expect(await rejection(inventory.db.execute(sql`SELECT * FROM catalog.products`))).toMatch(/permission denied/);
      expect(await rejection(inventory.db.execute(sql`UPDATE catalog.products SET price_amount = 0`))).toMatch(/permission denied/);
    });

    it('should deny a module DDL and its own migrations bookkeeping', async () => {
      const catalog = engine.forModule('catalog');
      expect(await rejection(catalog.db.execute(sql`DROP TABLE catalog.products`))).toMatch(/must be owner|permission denied/);
      expect(await rejection(catalog.db.execute(sql`DELETE FROM catalog.__migrations`))).toMatch(/permission denied/);
      expect(await rejection(catalog.db.execute(sql`CREATE SCHEMA sneaky`))).toMatch(/permission denied/);
    });

    if (options.roleSwitchIsFenced) {
      it('should not let module code escape its role with SET ROLE or RESET ROLE', async () => {
        const inventory = engine.forModule('inventory');
        const escaped = inventory.transaction(async (tx) => {
          await tx.execute(sql`RESET ROLE`);
          await tx.execute(sql`SET ROLE NONE`);
          return tx.execute(sql`SELECT * FROM catalog.products`);
        });
        expect(await rejection(escaped)).toMatch(/permission denied/);
        const borrowed = inventory.transaction((tx) => tx.execute(sql.raw(`SET ROLE ${engine.forModule('catalog').role}`)));
        expect(await rejection(borrowed)).toMatch(/permission denied/);
      });
    }

    it('should keep the role inside a transaction too, and roll back a failed one', async () => {
      const inventory = engine.forModule('inventory');
      const failed = inventory.transaction(async (tx) => {
        await tx.execute(
          sql`INSERT INTO inventory.stock_items (sku, product_id, quantity, location) VALUES ('ISO-1', gen_random_uuid(), 1, 'A')`,
        );
        await tx.execute(sql`SELECT * FROM identity.users`);
      });
      expect(await rejection(failed)).toMatch(/permission denied/);
      const left = (await inventory.db.execute(sql`SELECT sku FROM inventory.stock_items WHERE sku = 'ISO-1'`)) as unknown as
        | { rows: unknown[] }
        | unknown[];
      expect(Array.isArray(left) ? left : left.rows).toHaveLength(0);
    });
  });
}

isolationSuite('module isolation on PostgreSQL', async () => {
  const database: TestDatabase = await createTestDatabase();
  const engine = new PostgresEngine({ url: database.url, poolSize: 2, rolePrefix: testRolePrefix(), roleSecret: TEST_MODULE_DB_SECRET });
  return { engine, cleanup: () => database.drop() };
}, { roleSwitchIsFenced: true });

isolationSuite('module isolation on embedded PGlite', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shop-pglite-'));
  const engine = await PgliteEngine.open(dir, 'shop_');
  await engine.migrate(MONOLITH_MODULES);
  return { engine, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  // PGlite has one superuser connection that switches role per transaction: isolation
  // there guards against mistakes, not against code that resets its role on purpose.
}, { roleSwitchIsFenced: false });
