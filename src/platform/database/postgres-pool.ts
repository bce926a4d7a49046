import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { transactionWithHooks } from './after-commit.js';
import { isConnectionLost } from './database-unavailable.js';
import type { Db } from './module-database.js';

/**
 * A node-postgres client emits `error` when its server goes away (a restart, a failover,
 * `pg_terminate_backend`) while it has no query running, and an `error` nobody listens
 * to ends the process. A pool listens only to its idle clients: one checked out and
 * idle in a transaction (the outbox relay holds one across its hand-over to Redis) has
 * no listener at all. So every client gets one for its whole life, from the moment it
 * is created; the broken client is then dropped by the pool when it is released, and
 * the next checkout connects anew.
 */
export function listenForConnectionErrors(client: pg.Client | pg.PoolClient): void {
  client.on('error', () => undefined);
}

/** A plain read: safe to send again when its connection was lost before it answered. */
const PLAIN_READ = /^\s*select\b/i;
const LOCKING_READ = /\bfor\s+(update|no\s+key\s+update|share|key\s+share)\b/i;

type QueryConfig = { text?: string } | string;

function textOf(config: QueryConfig): string | undefined {
  return typeof config === 'string' ? config : config?.text;
}

/**
 * A pool whose clients cannot crash the process (above), and that sends a plain read
 * once more when its connection was lost under it: the first statement after a failover
 * often lands on a connection the server has just closed. A write is never sent twice
 * (it may have been applied before the connection dropped); it fails, and the edge
 * answers 503 with `Retry-After`.
 */
export class ResilientPool extends pg.Pool {
  constructor(config: pg.PoolConfig) {
    super(config);
    this.on('connect', listenForConnectionErrors);
    // Idle clients that the server drops emit 'error' on the pool too; the pool discards them.
    this.on('error', () => undefined);
  }

  // node-postgres overloads query() heavily; drizzle and prepared statements use the
  // promise form with a config object or text and values, which is what is retried.
  override query(...args: unknown[]): never {
    const [config, values, callback] = args as [QueryConfig, unknown, unknown];
    const run = () => (super.query as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    if (typeof values === 'function' || typeof callback === 'function') return run() as never;
    const text = textOf(config);
    const retryable = text !== undefined && PLAIN_READ.test(text) && !LOCKING_READ.test(text);
    if (!retryable) return run() as never;
    return run().catch((error: unknown) => {
      if (!isConnectionLost(error) || this.ending) throw error;
      return run();
    }) as never;
  }
}

/**
 * A transaction on a connection of `pool` that always goes back to it. drizzle's own
 * pool transaction sends BEGIN before its try/finally: when BEGIN fails on a connection
 * the server has just closed, the connection is never released, and after a few
 * database blips a module's pool has no connection left (its requests wait out the
 * connect timeout, and shutdown waits for connections that never come back). Here the
 * connection is taken and given back by us, and one whose connection was lost under the
 * transaction (at its BEGIN, a statement, COMMIT or ROLLBACK) is destroyed rather than
 * pooled; any other failure leaves a connection that is fine to use again.
 */
export async function transactionOn<T>(pool: pg.Pool, work: (tx: Db) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failure: unknown;
  try {
    // drizzle on a single client runs the transaction on it and leaves releasing to us.
    return await transactionWithHooks(drizzle({ client }) as unknown as Db, work);
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    client.release(isConnectionLost(failure) ? (failure as Error) : undefined);
  }
}
