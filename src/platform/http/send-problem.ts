import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem-details.js';

/** Writes the problem body for `error` (used by ProblemDetailsFilter). */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  const { problem, unexpected } = toProblem(error);
  if (unexpected) {
    logger.error({ err: error, method: request.method, url: request.url }, 'unexpected error');
  }
  problem.instance = request.url.split('?')[0];
  problem.requestId = request.id;
  if (problem.status === 401 && !reply.hasHeader('www-authenticate')) {
    reply.header('www-authenticate', 'Bearer');
  }
  void reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}
