import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { requestContext } from './request-context.js';

/**
 * One JSON logger for the process. The mixin stamps the current request's id on every
 * line logged while serving it, whoever logs it (Fastify, Nest or a module).
 */
export function createLogger(
  level: LevelWithSilent,
  base: Record<string, unknown> = {},
  destination?: DestinationStream,
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
    // No redaction pass: it costs on every line, and nothing logs bodies or headers.
    // Keep it that way: log ids and outcomes, never credentials or payloads.
  };
  if (destination) return pino(options, destination);
  // Buffered, asynchronous writes to stdout: one syscall per line was the largest
  // single cost of a cheap request in the product-read benchmark. pino flushes the
  // buffer synchronously when the process exits, and a timer flushes it every 250 ms
  // so a quiet server's lines are never held back for long.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => stdout.flush(), 250).unref();
  return pino(options, stdout);
}
