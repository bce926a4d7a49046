import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule, MONOLITH_MODULES, type OutsideEdges } from './app.module.js';
import type { AppConfig } from './platform/config/app-config.js';
import { allInOneProcess, type Placement } from './platform/config/placement.js';
import { createHttpApp } from './platform/bootstrap/create-http-app.js';
import { openPlatform } from './platform/bootstrap/open-platform.js';

/**
 * Builds the shop's process, ready to listen: the modules the placement hosts here
 * (all of them by default) with the platform. Used by main.ts, src/extracted/ and the tests.
 */
export async function createApp(
  config: AppConfig,
  logger: Logger,
  edges: OutsideEdges = {},
  placement: Placement = allInOneProcess(MONOLITH_MODULES),
): Promise<NestFastifyApplication> {
  const resources = await openPlatform(config, logger, placement);
  try {
    return await createHttpApp(AppModule.forRoot(resources, edges), config, logger);
  } catch (error) {
    await resources.database.close();
    throw error;
  }
}
