import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DatabaseEngine } from '../../src/platform/database/database-engine.js';
import type { Db } from '../../src/platform/database/module-database.js';
import { PgliteEngine } from '../../src/platform/database/pglite-engine.js';
import { PostgresEngine } from '../../src/platform/database/postgres-engine.js';
import { createTestDatabase, testRolePrefix } from './test-database.js';
import { TEST_MODULE_DB_SECRET } from './test-env.js';

/** Reads stored state; `module` names the handle to read through where there is no superuser (PGlite). */
export type EngineSql = <R>(module: string, text: string, params: unknown[]) => Promise<R[]>;

export interface OpenedEngine {
  engine: DatabaseEngine;
  sql: EngineSql;
  close(): Promise<void>;
}

/**
 * Both database engines, for platform specs that must hold on each: a fresh PostgreSQL
 * database (migrated by the engine's own provisioning), and embedded PGlite in a
 * temporary folder with `modules` migrated. Use with `describe.each(testEngines([...]))`.
 */
export function testEngines(modules: string[]): { name: string; open: () => Promise<OpenedEngine> }[] {
  return [
    {
      name: 'PostgreSQL',
      open: async () => {
        const database = await createTestDatabase();
        const engine = new PostgresEngine({ url: database.url, poolSize: 4, rolePrefix: testRolePrefix(), roleSecret: TEST_MODULE_DB_SECRET });
        return {
          engine,
          sql: async <R>(_module: string, text: string, params: unknown[]) => (await database.sql(text, params)) as R[],
          close: async () => {
            await engine.close();
            await database.drop();
          },
        };
      },
    },
    {
      name: 'embedded PGlite',
      open: async () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'shop-engine-'));
        const engine = await PgliteEngine.open(dir, 'shop_');
        await engine.migrate(modules);
        return {
          engine,
          // PGlite has a single connection: checks read through the module's own handle.
          sql: async <R>(module: string, text: string, params: unknown[]) =>
            (await engine.forModule(module).transaction((tx) => runQuery(tx, text, params))) as R[],
          close: async () => {
            await engine.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
  ];
}

async function runQuery(tx: Db, text: string, params: unknown[]): Promise<unknown[]> {
  const client = (tx as unknown as { session: { client: { query(t: string, p: unknown[]): Promise<{ rows: unknown[] }> } } }).session
    .client;
  return (await client.query(text, params)).rows;
}
