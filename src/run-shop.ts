import 'reflect-metadata';
import { MONOLITH_MODULES } from './app.module.js';
import { createApp } from './create-app.js';
import { ConfigError, loadConfig } from './platform/config/app-config.js';
import { loadPlacement } from './platform/config/placement.js';
import { exitGracefullyOnSignals } from './platform/bootstrap/graceful-shutdown.js';
import { createLogger } from './platform/logging/logger.js';

/**
 * Starts one process of the shop: `monolith` (src/main.ts) or one extracted module
 * (src/extracted/<module>/main.ts). Configuration mistakes stop it at once with exit
 * code 2 and a message naming the variable.
 */
export async function runShop(process_: string): Promise<void> {
  let config;
  let placement;
  try {
    config = loadConfig(process.env);
    placement = loadPlacement(process.env, MONOLITH_MODULES, process_, config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, { process: placement.process }, undefined, config.logFormat);
  try {
    const app = await createApp(config, logger, {}, placement);
    exitGracefullyOnSignals(app, logger, config.shutdownDeadlineMs);
    await app.listen({ port: config.port, host: config.host });
    logger.info({ url: await app.getUrl(), hosts: placement.hosted }, placement.process === 'monolith' ? 'shop is listening' : `${placement.process} service is listening`);
  } catch (error) {
    logger.fatal({ err: error }, 'startup failed');
    logger.flush();
    process.exit(1);
  }
}
