import { createHash } from 'node:crypto';
import type pg from 'pg';
import { quoteIdent } from '../admin-session.js';
import { MIGRATIONS_TABLE } from '../module-roles.js';
import { sequencesOf, tablesOf } from './module-catalog.js';

/** What a database holds of one table or sequence of a module. */
export interface Holding {
  /** `schema.table`, or `schema.sequence (sequence)`. */
  object: string;
  /** Rows of a table; the last value of a sequence. */
  rows: number;
  /** A digest of every row (independent of their order), or of a sequence's state. */
  checksum: string;
}

/**
 * Row counts and checksums of every table and sequence of a module, as one client sees
 * them (in its transaction's snapshot). A table's checksum sums a hash of each row's
 * text, so it does not depend on the rows' physical order and needs no memory per row;
 * the session must use stable text settings (useStableText) on both sides.
 */
export async function holdingsOf(client: pg.ClientBase, module: string): Promise<Holding[]> {
  const holdings: Holding[] = [];
  for (const table of await tablesOf(client, module)) {
    const { rows } = await client.query<{ rows: string; sum: string }>(
      `SELECT count(*)::text AS rows,
              coalesce(sum(('x' || substr(md5(ROW(t.*)::text), 1, 15))::bit(60)::bigint::numeric), 0)::text AS sum
         FROM ${table.qualified} t`,
    );
    holdings.push({ object: `${module}.${table.name}`, rows: Number(rows[0]!.rows), checksum: digest(`${rows[0]!.rows}:${rows[0]!.sum}`) });
  }
  for (const sequence of await sequencesOf(client, module)) {
    const { rows } = await client.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text, is_called FROM ${quoteIdent(module)}.${quoteIdent(sequence)}`,
    );
    const { last_value: last, is_called: called } = rows[0]!;
    holdings.push({ object: `${module}.${sequence} (sequence)`, rows: Number(last), checksum: digest(`${last}:${called}`) });
  }
  return holdings;
}

/**
 * Whether a module's tables hold any row: a schema that a shop only migrated (rows in
 * its migration history alone, sequences untouched) holds none.
 */
export function holdsData(holdings: readonly Holding[]): boolean {
  return holdings.some((h) => !h.object.endsWith('(sequence)') && !h.object.endsWith(`.${MIGRATIONS_TABLE}`) && h.rows > 0);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
