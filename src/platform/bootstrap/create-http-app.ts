import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule } from '@nestjs/common';
import { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { answerClientError } from '../http/client-errors.js';
import { configureHttpEdge } from '../http/configure-http-edge.js';
import { acceptJsonBodiesOnly } from '../http/json-bodies-only.js';
import { requestIdOf } from '../http/request-id.js';
import { registerSecurityHeaders } from '../http/security-headers.js';
import { NestPinoLogger } from '../logging/nest-logger.js';
import { PLACEMENT } from '../config/placement.js';
import { mountRpcEndpoint } from '../dispatch/rpc-endpoint.js';

/** How often Node looks for requests past their deadline (its default, 30 s, would let one run 30 s over). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/**
 * Creates the Nest application on Fastify with the edge's settings: body limit and
 * JSON-only bodies, request deadline, request ids, security headers, one logger. Used
 * by the monolith and by extracted services alike.
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
    // A client that sends its headers or its body too slowly holds a socket and a
    // parser: past REQUEST_TIMEOUT_MS it gets 408 and the connection is closed.
    // (Fastify's default is no deadline at all.)
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(60_000, config.requestTimeoutMs),
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    // false, or the proxies' addresses/CIDRs (never `true`: app-config.ts says why).
    trustProxy: config.trustProxy,
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
    // The edge installs its own parsers (JSON only), instead of Nest's JSON and form parsers.
    bodyParser: false,
  });
  acceptJsonBodiesOnly(app.getHttpAdapter().getInstance(), config.bodyLimitBytes);
  await registerSecurityHeaders(app, config);
  configureHttpEdge(app, logger);
  mountRpcEndpoint(app, app.get(PLACEMENT), config, logger);
  return app;
}
