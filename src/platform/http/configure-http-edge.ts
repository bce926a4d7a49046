import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { requestContext } from '../logging/request-context.js';

/**
 * Fastify-level behaviour of the edge that runs outside Nest's routing: request ids
 * and access logs. (Errors raised before a route is reached, such as a body too large
 * or malformed JSON, reach Nest's ProblemDetailsFilter wrapped in an HttpException.)
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
