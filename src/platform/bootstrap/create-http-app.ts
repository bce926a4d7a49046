import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule } from '@nestjs/common';
import { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { configureHttpEdge } from '../http/configure-http-edge.js';
import { requestIdOf } from '../http/request-id.js';
import { NestPinoLogger } from '../logging/nest-logger.js';

/**
 * Creates the Nest application on Fastify with the edge's settings: body limit,
 * request ids, one JSON logger. Used by the monolith and by extracted services alike.
 */
export async function createHttpApp(
  rootModule: DynamicModule,
  config: AppConfig,
  logger: Logger,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // The edge writes one access-log line per request itself (configure-http-edge.ts).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdOf,
    // Request logs carry the id through the logger's mixin, so no per-request child logger.
    childLoggerFactory: (parent: FastifyBaseLogger) => parent,
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
  });
  configureHttpEdge(app, logger);
  return app;
}
