import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { requestContext } from '../logging/request-context.js';
import { sendProblem } from './send-problem.js';

/**
 * Fastify-level behaviour of the edge that runs outside Nest's routing: request ids,
 * access logs, and problem details for errors raised before a route is reached
 * (body too large, malformed JSON, unsupported media type).
 */
export function configureHttpEdge(app: NestFastifyApplication, logger: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();

  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    requestContext.run({ requestId: request.id }, done);
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    logger.info(
      {
        requestId: request.id,
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    );
    done();
  });

}
