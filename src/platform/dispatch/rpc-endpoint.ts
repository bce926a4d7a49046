import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ServiceCredentialError, ServiceTokenVerifier } from '../auth/service-credentials.js';
import type { AppConfig } from '../config/app-config.js';
import type { Placement } from '../config/placement.js';
import { contractInfoOfType, contractTypeOf } from '../contracts/contract-type.js';
import { statusOfKind } from '../http/problem-details.js';
import { requestContext } from '../logging/request-context.js';
import { InProcessTransport } from './in-process-transport.js';
import { decodeMessage, encodeResult, toErrorEnvelope, type ErrorEnvelope } from './wire-codec.js';

/** Outside `/api/`: no public route (and no gateway rule for the public API) can reach it. */
export const RPC_PATH_PREFIX = '/internal/rpc/';

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i;

function statusOf(envelope: ErrorEnvelope): number {
  return envelope.kind === 'internal' ? 500 : statusOfKind(envelope.kind);
}

/**
 * The internal RPC endpoint: `POST /internal/rpc/<wire name>` runs a command or query
 * of a module hosted in this process for another service. It is a plain Fastify route
 * (no Nest guard, pipe or filter on the way: each would cost every call, and the
 * public API's rules do not apply here). Only a service credential is accepted (see
 * service-credentials.ts): a user's access token, however valid, gets 401. The
 * caller's remaining deadline comes in `x-deadline-ms`: work is not started once it
 * has passed, calls made meanwhile get no more time, and the answer is given up when
 * it runs out.
 */
export function mountRpcEndpoint(app: NestFastifyApplication, placement: Placement, config: AppConfig, logger: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();
  const verifier = placement.serviceTokenSecret ? new ServiceTokenVerifier(placement.serviceTokenSecret) : undefined;
  let transport: InProcessTransport | undefined;

  const fail = (reply: FastifyReply, envelope: ErrorEnvelope) => reply.code(statusOf(envelope)).type('application/json').send({ error: envelope });

  fastify.post<{ Params: { wireName: string } }>(`${RPC_PATH_PREFIX}:wireName`, async (request: FastifyRequest<{ Params: { wireName: string } }>, reply) => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (!verifier || !token) {
      return fail(reply, { code: 'PLATFORM.SERVICE_CREDENTIAL_REQUIRED', kind: 'unauthorized', message: 'Internal calls need a service credential.' });
    }
    let caller;
    try {
      caller = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof ServiceCredentialError)) throw error;
      return fail(reply, { code: 'PLATFORM.SERVICE_CREDENTIAL_INVALID', kind: 'unauthorized', message: error.message });
    }
    const { wireName } = request.params;
    const type = contractTypeOf(wireName);
    const info = type ? contractInfoOfType(type) : undefined;
    if (!info || !placement.hosted.includes(info.module)) {
      return fail(reply, { code: 'PLATFORM.UNKNOWN_CONTRACT', kind: 'not_found', message: `${wireName} is not a contract of a module hosted here.` });
    }
    const given = Number(request.headers['x-deadline-ms']);
    const remainingMs = Number.isFinite(given) && request.headers['x-deadline-ms'] !== undefined ? given : config.contractCallTimeoutMs;
    if (remainingMs <= 0) {
      return fail(reply, { code: 'PLATFORM.CONTRACT_CALL_TIMEOUT', kind: 'unavailable', message: `${wireName} arrived after its caller's deadline.` });
    }
    let message: object;
    try {
      message = decodeMessage(wireName, request.body);
    } catch (error) {
      return fail(reply, { code: 'PLATFORM.MALFORMED_MESSAGE', kind: 'invalid', message: (error as Error).message });
    }
    const context = requestContext.current();
    const deadlineAt = Date.now() + remainingMs;
    if (context) {
      context.endUser = caller.endUser;
      context.deadlineAt = deadlineAt;
    }
    transport ??= app.get(InProcessTransport);
    const local = transport as InProcessTransport;
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CallTooLate(wireName, remainingMs)), remainingMs);
      });
      const result = await Promise.race([local.deliver<unknown>(message, info), late]);
      return reply.code(200).type('application/json').send(encodeResult(result, wireName));
    } catch (error) {
      if (error instanceof CallTooLate) {
        return fail(reply, { code: 'PLATFORM.CONTRACT_CALL_TIMEOUT', kind: 'unavailable', message: error.message });
      }
      const envelope = toErrorEnvelope(error, info.module);
      if (envelope.kind === 'internal') logger.error({ err: error, wireName, caller: caller.service }, 'internal call failed unexpectedly');
      else if (envelope.code === 'PLATFORM.DATABASE_UNAVAILABLE') logger.warn({ err: error, wireName }, 'internal call met an unavailable database');
      return fail(reply, envelope);
    } finally {
      clearTimeout(timer);
    }
  });
}

class CallTooLate extends Error {
  constructor(wireName: string, ms: number) {
    super(`${wireName} could not be answered within its caller's ${ms} ms`);
  }
}
