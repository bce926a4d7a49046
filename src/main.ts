import 'reflect-metadata';
import { ConfigError, loadConfig } from './platform/config/app-config.js';
import { createLogger } from './platform/logging/logger.js';
import { createApp } from './create-app.js';
import { exitGracefullyOnSignals } from './platform/bootstrap/graceful-shutdown.js';

/** The monolith: every module in one process. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, {}, undefined, config.logFormat);
  try {
    const app = await createApp(config, logger);
    exitGracefullyOnSignals(app, logger, config.shutdownDeadlineMs);
    await app.listen({ port: config.port, host: config.host });
    logger.info({ url: await app.getUrl() }, 'shop is listening');
  } catch (error) {
    logger.fatal({ err: error }, 'startup failed');
    logger.flush();
    process.exit(1);
  }
}

void main();
