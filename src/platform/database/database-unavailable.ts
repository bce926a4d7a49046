/**
 * How failures of the database itself are told apart from failures of one statement.
 * drizzle wraps a driver's error in its own (`cause`), so the whole chain is looked at.
 */

/** node-postgres and Node's socket errors, and the messages of a closed pool or PGlite. */
const LOST_CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const LOST_CONNECTION_MESSAGE =
  /connection terminated|terminating connection|timeout exceeded when trying to connect|connection error|Connection refused|not currently accepting connections|after calling end on the pool|client has encountered a connection error|pglite is closed/i;

/** A statement cancelled by its timeout, a lock not granted in time, or a transaction that lost a race. */
const TRY_AGAIN_CODES = new Set(['57014', '55P03', '40001', '40P01', '53300']);

function* chainOf(error: unknown): Generator<unknown> {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

const codeOf = (error: unknown) => (error as { code?: unknown }).code;

/**
 * The connection to the database was lost or could not be made: a restart, a failover,
 * an operator's `pg_terminate_backend`, a pool closed by shutdown (PostgreSQL's class 08
 * and 57P0x). Nothing of the statement is known to have happened.
 */
export function isConnectionLost(error: unknown): boolean {
  for (const link of chainOf(error)) {
    const code = codeOf(link);
    if (typeof code === 'string' && (code.startsWith('08') || LOST_CONNECTION_CODES.has(code))) return true;
    if (link instanceof Error && LOST_CONNECTION_MESSAGE.test(link.message)) return true;
  }
  return false;
}

/** Whether the error, or one of its causes, carries one of `codes` (SQLSTATEs or Node's). */
export function hasErrorCode(error: unknown, codes: ReadonlySet<string>): boolean {
  for (const link of chainOf(error)) {
    const code = codeOf(link);
    if (typeof code === 'string' && codes.has(code)) return true;
  }
  return false;
}

/** The connection was lost, or the database asked to try again later (timeouts, lock waits, deadlocks, too many connections). */
export function isTransientDatabaseFailure(error: unknown): boolean {
  return isConnectionLost(error) || hasErrorCode(error, TRY_AGAIN_CODES);
}
