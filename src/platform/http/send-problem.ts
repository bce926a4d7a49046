import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errorText } from '../logging/safe-error.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem-details.js';

/** Writes the problem body for `error` (used by ProblemDetailsFilter). */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  const { problem, outcome, retryAfterSeconds } = toProblem(error);
  const path = request.url.split('?')[0];
  if (outcome === 'unexpected') {
    logger.error({ err: error, method: request.method, url: path }, 'unexpected error');
  } else if (outcome === 'transient') {
    logger.warn({ err: errorText(error), method: request.method, url: path }, 'the database is unavailable: answered 503');
  }
  problem.instance = path;
  problem.requestId = request.id;
  if (problem.status === 401 && !reply.hasHeader('www-authenticate')) {
    reply.header('www-authenticate', 'Bearer');
  }
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterSeconds))));
  void reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}
