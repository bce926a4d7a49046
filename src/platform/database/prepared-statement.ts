import type { Db } from './module-database.js';

type PgConfigClient = { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }> };
type PlainClient = { query(text: string, values: unknown[]): Promise<{ rows: unknown[] }> };

/**
 * A statement sent by name, so PostgreSQL parses and plans it once per connection
 * instead of on every call. Used on the event path's hottest statements (the outbox
 * and inbox inserts): parse and plan were a large share of Postgres's CPU there, and
 * naming them raised publishing throughput by about a third in a micro-benchmark.
 *
 * It runs on the connection of the drizzle handle or transaction it is given, so it
 * stays inside that transaction. On PGlite there is nothing to gain and the text is
 * sent as it is. `text` uses $1, $2… placeholders and must be constant.
 */
export interface PreparedStatement {
  run<R = Record<string, unknown>>(executor: Db, values: unknown[]): Promise<R[]>;
}

export function preparedStatement(name: string, text: string): PreparedStatement {
  return {
    async run<R = Record<string, unknown>>(executor: Db, values: unknown[]): Promise<R[]> {
      const client = (executor as unknown as { session?: { client?: unknown } }).session?.client;
      if (!client || typeof (client as PlainClient).query !== 'function') {
        throw new Error('preparedStatement needs a drizzle handle or transaction');
      }
      // node-postgres clients and pools accept a config object with a statement name;
      // PGlite's query takes the text and values.
      const isNodePostgres = 'connect' in (client as object) || 'release' in (client as object);
      const result = isNodePostgres
        ? await (client as PgConfigClient).query({ name, text, values })
        : await (client as PlainClient).query(text, values);
      return result.rows as R[];
    },
  };
}

/**
 * Sends constant, parameterless statements (such as savepoint commands) in one round
 * trip on the connection of the drizzle handle or transaction given: one simple-protocol
 * query on node-postgres, `exec` on PGlite.
 */
export async function runStatements(executor: Db, statements: string[]): Promise<void> {
  const client = (executor as unknown as { session?: { client?: unknown } }).session?.client as
    | { exec?: (text: string) => Promise<unknown>; query: (text: string) => Promise<unknown> }
    | undefined;
  if (!client || typeof client.query !== 'function') throw new Error('runStatements needs a drizzle handle or transaction');
  const text = statements.join('; ');
  await (typeof client.exec === 'function' ? client.exec(text) : client.query(text));
}
