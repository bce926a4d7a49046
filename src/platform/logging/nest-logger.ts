import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';
import { withoutSecrets } from './safe-error.js';

/**
 * Nest's start-up chatter (a line per module initialised, per controller and per route
 * mapped: about seventy) is debug detail; at info it buries the lines that matter.
 */
const CHATTY_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Routes Nest's own log lines into the process's pino logger, so every line is JSON. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    if (context && CHATTY_CONTEXTS.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  // Nest logs a failing hook's error message and stack: scrubbed like any error.
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace: trace && withoutSecrets(trace) }, withoutSecrets(String(message)));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, withoutSecrets(String(message)));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
