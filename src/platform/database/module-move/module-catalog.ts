import type pg from 'pg';
import { quoteIdent } from '../admin-session.js';

/** One table of a module's schema, with the columns a copy writes (not generated ones). */
export interface ModuleTable {
  name: string;
  /** `"schema"."table"` */
  qualified: string;
  /** Quoted column names, in their order; generated columns are left out (the target computes them). */
  columns: string[];
}

/** Whether the database holds the module's schema at all. */
export async function hasSchema(client: pg.ClientBase, module: string): Promise<boolean> {
  const { rows } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [module]);
  return rows.length > 0;
}

/**
 * The module's tables, each after the tables it references (foreign keys within the
 * schema), so that a copy in this order never inserts a row before the one it points at.
 * Partitioned parents are left out: their rows are in their partitions.
 */
export async function tablesOf(client: pg.ClientBase, module: string): Promise<ModuleTable[]> {
  const { rows: tables } = await client.query<{ name: string; columns: string[] }>(
    `SELECT c.relname AS name,
            array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE n.nspname = $1 AND c.relkind = 'r'
      GROUP BY c.relname
      ORDER BY c.relname`,
    [module],
  );
  const { rows: references } = await client.query<{ referencing: string; referenced: string }>(
    `SELECT f.relname AS referencing, t.relname AS referenced
       FROM pg_constraint k
       JOIN pg_class f ON f.oid = k.conrelid
       JOIN pg_class t ON t.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = f.relnamespace
       JOIN pg_namespace m ON m.oid = t.relnamespace
      WHERE k.contype = 'f' AND n.nspname = $1 AND m.nspname = $1 AND f.oid <> t.oid`,
    [module],
  );
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (ordered.includes(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const { referencing, referenced } of references) if (referencing === name) visit(referenced);
    visiting.delete(name);
    ordered.push(name);
  };
  for (const { name } of tables) visit(name);
  const byName = new Map(tables.map((t) => [t.name, t]));
  return ordered
    .filter((name) => byName.has(name))
    .map((name) => ({
      name,
      qualified: `${quoteIdent(module)}.${quoteIdent(name)}`,
      columns: (byName.get(name)!.columns ?? []).map(quoteIdent),
    }));
}

/** The module's sequences, by name. */
export async function sequencesOf(client: pg.ClientBase, module: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'S' ORDER BY c.relname`,
    [module],
  );
  return rows.map((row) => row.name);
}

/**
 * Session settings under which a row's text is the same on any server and any client:
 * a checksum over `row::text` then compares data, not the settings of two connections.
 */
export async function useStableText(client: pg.ClientBase): Promise<void> {
  await client.query(
    `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'`,
  );
}
