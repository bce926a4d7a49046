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
    redact: { paths: ['req.headers.authorization', '*.password', 'password'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
