import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import { requestContext } from './request-context.js';
import { serializeError } from './safe-error.js';

/** `json` for machines, `pretty` for people; `auto` is pretty when stdout is a terminal. */
export type LogFormat = 'json' | 'pretty' | 'auto';

/**
 * Fields that must never be logged, whoever logs them: blanked if a line carries one
 * by mistake. Top-level names only, which pino checks with plain property reads (no
 * wildcard walk on every line). Errors go through `serializeError`, which keeps a
 * failed query's statement and drops its values.
 */
const NEVER_LOGGED = [
  'password',
  'passwordHash',
  'token',
  'accessToken',
  'paymentToken',
  'authorization',
  'secret',
  'privateKey',
  'headers.authorization',
  'headers.cookie',
];

/**
 * One logger for the process. The mixin stamps the current request's id on every
 * line logged while serving it, whoever logs it (Fastify, Nest or a module).
 */
export function createLogger(
  level: LevelWithSilent,
  base: Record<string, unknown> = {},
  destination?: DestinationStream,
  format: LogFormat = 'json',
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'shop', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: () => {
      const ctx = requestContext.current();
      return ctx ? { requestId: ctx.requestId } : {};
    },
    serializers: { err: serializeError },
    redact: { paths: NEVER_LOGGED, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (format === 'pretty' || (format === 'auto' && process.stdout.isTTY)) {
    // A person at a terminal: one readable line per event, written as it happens.
    return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true }));
  }
  // Buffered, asynchronous writes to stdout: one syscall per line was the largest
  // single cost of a cheap request in the product-read benchmark. pino flushes the
  // buffer synchronously when the process exits, and a timer flushes it every 250 ms
  // so a quiet server's lines are never held back for long.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => stdout.flush(), 250).unref();
  return pino(options, stdout);
}
