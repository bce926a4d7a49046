import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { draining } from '../bootstrap/draining.js';
import { requestContext } from '../logging/request-context.js';
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';
import { SAFE_REQUEST_ID, TRACEPARENT } from './request-id.js';


declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the internal RPC endpoint on a batch: how many calls it carried (logged). */
    rpcCalls?: number;
  }
}

/**
 * Fastify-level behaviour of the edge that runs outside Nest's routing: request ids
 * and access logs. (Errors raised before a route is reached, such as a body too large
 * or malformed JSON, reach Nest's ProblemDetailsFilter wrapped in an HttpException.)
 */
export function configureHttpEdge(app: NestFastifyApplication, logger: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();

  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (draining.active) {
      void reply
        .status(503)
        .header('connection', 'close')
        .header('retry-after', '1')
        .type(PROBLEM_CONTENT_TYPE)
        .send({
          type: 'urn:shop:problem:shutting_down',
          title: 'Shutting down',
          status: 503,
          code: 'SHUTTING_DOWN',
          detail: 'This instance is shutting down; retry the request.',
          instance: request.url.split('?')[0],
          requestId: request.id,
        });
      return;
    }
    const traceparent = request.headers.traceparent;
    const correlation = request.headers['x-correlation-id'];
    requestContext.run(
      {
        requestId: request.id,
        correlationId: typeof correlation === 'string' && SAFE_REQUEST_ID.test(correlation) ? correlation : request.id,
        causationId: request.id,
        traceparent: typeof traceparent === 'string' && TRACEPARENT.test(traceparent) ? traceparent : null,
      },
      done,
    );
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    logger.info(
      {
        requestId: request.id,
        method: request.method,
        // The path only: a query string is the caller's to fill, and may carry what must not be logged.
        url: request.url.split('?')[0],
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        // A batch of internal calls (rpc-endpoint.ts) says how many it carried.
        ...(request.rpcCalls ? { calls: request.rpcCalls } : {}),
      },
      'request completed',
    );
    done();
  });

}
