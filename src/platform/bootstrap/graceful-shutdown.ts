import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import { draining } from './draining.js';

/**
 * SIGTERM/SIGINT: stop accepting work, let Nest's shutdown hooks finish what is in
 * flight (modules close their own workers first, the platform closes pools last),
 * flush the buffered log, then exit 0. A second signal, or the deadline passing,
 * exits at once with status 1 so an orchestrator is never left waiting.
 */
export function exitGracefullyOnSignals(app: INestApplication, logger: Logger, deadlineMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    draining.active = true;
    logger.info({ signal, deadlineMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown deadline passed: exiting with work unfinished');
      logger.flush();
      process.exit(1);
    }, deadlineMs);
    app
      .close()
      .then(() => {
        logger.info('shutdown complete');
        logger.flush();
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop).on('SIGINT', stop);
}
