/**
 * Errors as a log line, a dead letter or an operator may see them: what went wrong and
 * where, never the values involved. A failed query's error carries its parameters (the
 * email and password hash of a registration, an order's address and card token), and
 * PostgreSQL's `detail` repeats the row ("Key (email)=(…) already exists"); neither
 * leaves the process.
 */

const SECRET_SHAPES: [RegExp, string][] = [
  // drizzle's failed-query text: "Failed query: <sql>\nparams: <every value>" (up to the stack's frames).
  [/\nparams: [\s\S]*?(?=\n\s+at |$)/g, ''],
  // Password hashes as identity stores them.
  [/scrypt\$[^\s"',)]+/g, 'scrypt$[redacted]'],
  // Compact JWS/JWT (access tokens).
  [/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted token]'],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  // Card tokens of the payment form (the simulator's, and the usual provider shape).
  [/\btok_[A-Za-z0-9_-]+/g, 'tok_[redacted]'],
  // Role passwords in provisioning statements, credentials in connection strings, keys.
  [/(PASSWORD\s+)'[^']*'/gi, "$1'[redacted]'"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:[redacted]@'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted private key]'],
];

/** `text` with anything shaped like a secret replaced. */
export function withoutSecrets(text: string): string {
  let safe = text;
  for (const [shape, replacement] of SECRET_SHAPES) safe = safe.replace(shape, replacement);
  return safe;
}

type ErrorLike = Error & Record<string, unknown>;

const isQueryError = (error: ErrorLike) => typeof error.query === 'string' && 'params' in error;
/** node-postgres's DatabaseError: PostgreSQL's own fields ride on it. */
const isServerError = (error: ErrorLike) => typeof error.severity === 'string' && typeof error.code === 'string';

/** The message without the values it may quote. */
function safeMessageOf(error: ErrorLike): string {
  // drizzle: "Failed query: <sql>\nparams: <every value>". The statement text stays, the values go.
  if (isQueryError(error)) return withoutSecrets(`Failed query: ${error.query as string}`);
  let message = String(error.message ?? '');
  // PostgreSQL quotes the offending input at the end: `invalid input syntax for type uuid: "…"`.
  if (isServerError(error)) message = message.replace(/: ".*"$/s, ': "[redacted]"');
  return withoutSecrets(message);
}

/** Fields that say where a failure happened, never what data it carried. */
const SAFE_FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'statusCode', 'kind', 'severity', 'schema', 'table', 'column', 'constraint', 'routine'];

/**
 * pino's serializer for `err`. A whitelist, not pino's default (which copies every
 * enumerable field): a query error's `params`, a server error's `detail`, `where` and
 * `internalQuery`, a Redis error's command arguments all stay out.
 */
export function serializeError(error: unknown, depth = 0): unknown {
  if (typeof error === 'string') return withoutSecrets(error);
  if (!(error instanceof Error)) return error === undefined || error === null ? error : withoutSecrets(String(error));
  const e = error as ErrorLike;
  const message = safeMessageOf(e);
  const serialized: Record<string, unknown> = { type: e.name || e.constructor?.name || 'Error', message };
  for (const field of SAFE_FIELDS) {
    const value = e[field];
    if (typeof value === 'string' || typeof value === 'number') serialized[field] = value;
  }
  if (typeof e.stack === 'string') {
    // The stack's first lines repeat the raw message; keep only the frames.
    const frames = e.stack.split('\n').filter((line) => /^\s+at /.test(line));
    serialized.stack = [`${serialized.type}: ${message}`, ...frames].join('\n');
  }
  if (depth < 3 && e.cause !== undefined) serialized.cause = serializeError(e.cause, depth + 1);
  if (depth < 3 && error instanceof AggregateError) {
    serialized.errors = error.errors.slice(0, 10).map((inner) => serializeError(inner, depth + 1));
  }
  return serialized;
}

/** One line for an error: its name and safe message, with the cause's (dead letters, warnings). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return withoutSecrets(String(error)).slice(0, 2000);
  const e = error as ErrorLike;
  let text = `${e.name}: ${safeMessageOf(e)}`;
  if (e.cause instanceof Error) text += ` (cause: ${(e.cause as ErrorLike).name}: ${safeMessageOf(e.cause as ErrorLike)})`;
  return text.slice(0, 2000);
}
