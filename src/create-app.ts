import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule, MONOLITH_MODULES, type OutsideEdges } from './app.module.js';
import type { AppConfig } from './platform/config/app-config.js';
import { createHttpApp } from './platform/bootstrap/create-http-app.js';
import { openPlatform } from './platform/bootstrap/open-platform.js';

/** Builds the whole monolith, ready to listen. Used by main.ts and by the tests. */
export async function createApp(config: AppConfig, logger: Logger, edges: OutsideEdges = {}): Promise<NestFastifyApplication> {
  const resources = await openPlatform(config, logger, MONOLITH_MODULES);
  try {
    return await createHttpApp(AppModule.forRoot(resources, edges), config, logger);
  } catch (error) {
    await resources.database.close();
    throw error;
  }
}
