import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ServiceCredentialError, ServiceTokenVerifier, type ServiceCaller } from '../auth/service-credentials.js';
import type { AppConfig } from '../config/app-config.js';
import type { Placement } from '../config/placement.js';
import { contractInfoOfType, contractTypeOf, type ContractInfo } from '../contracts/contract-type.js';
import { statusOfKind } from '../http/problem-details.js';
import { SAFE_REQUEST_ID, TRACEPARENT } from '../http/request-id.js';
import { requestContext } from '../logging/request-context.js';
import { InProcessTransport } from './in-process-transport.js';
import { batchBodySchema, RPC_BATCH_SUFFIX, type BatchedCall } from './rpc-batch.js';
import { decodeMessage, encodeResult, toErrorEnvelope, type ErrorEnvelope } from './wire-codec.js';

/** Outside `/api/`: no public route (and no gateway rule for the public API) can reach it. */
export const RPC_PATH_PREFIX = '/internal/rpc/';

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i;

function statusOf(envelope: ErrorEnvelope): number {
  return envelope.kind === 'internal' ? 500 : statusOfKind(envelope.kind);
}

/** One call's answer: its status (for a call alone) and its body. */
interface Answer {
  status: number;
  body: string;
}

const answerOf = (envelope: ErrorEnvelope): Answer => ({ status: statusOf(envelope), body: JSON.stringify({ error: envelope }) });

type Params = { Params: { wireName: string } };

/**
 * The internal RPC endpoint: `POST /internal/rpc/<wire name>` runs a command or query
 * of a module hosted in this process for another service, and
 * `POST /internal/rpc/<wire name>/batch` runs several at once (rpc-batch.ts). They are
 * plain Fastify routes (no Nest guard, pipe or filter on the way: each would cost
 * every call, and the public API's rules do not apply here). Only a service
 * credential is accepted (see service-credentials.ts): a user's access token, however
 * valid, gets 401. The caller's remaining deadline comes with each call
 * (`x-deadline-ms`, or `deadlineMs` in a batch): work is not started once it has
 * passed, calls made meanwhile get no more time, and the answer is given up when it
 * runs out.
 */
export function mountRpcEndpoint(app: NestFastifyApplication, placement: Placement, config: AppConfig, logger: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();
  const verifier = placement.serviceTokenSecret ? new ServiceTokenVerifier(placement.serviceTokenSecret) : undefined;
  let transport: InProcessTransport | undefined;

  const send = (reply: FastifyReply, answer: Answer) => reply.code(answer.status).type('application/json').send(answer.body);

  /** The sender's credential and the contract asked for, or the refusal that ends the request. */
  async function admit(request: FastifyRequest<Params>): Promise<{ caller: ServiceCaller; info: ContractInfo } | { refused: Answer }> {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (!verifier || !token) {
      return { refused: answerOf({ code: 'PLATFORM.SERVICE_CREDENTIAL_REQUIRED', kind: 'unauthorized', message: 'Internal calls need a service credential.' }) };
    }
    let caller;
    try {
      caller = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof ServiceCredentialError)) throw error;
      return { refused: answerOf({ code: 'PLATFORM.SERVICE_CREDENTIAL_INVALID', kind: 'unauthorized', message: error.message }) };
    }
    const { wireName } = request.params;
    const type = contractTypeOf(wireName);
    const info = type ? contractInfoOfType(type) : undefined;
    if (!info || !placement.hosted.includes(info.module)) {
      return { refused: answerOf({ code: 'PLATFORM.UNKNOWN_CONTRACT', kind: 'not_found', message: `${wireName} is not a contract of a module hosted here.` }) };
    }
    return { caller, info };
  }

  /** Runs one call in the current request context, which it completes with the end user and the deadline. */
  async function answer(caller: ServiceCaller, info: ContractInfo, body: unknown, remainingMs: number): Promise<Answer> {
    const { wireName } = info;
    if (remainingMs <= 0) {
      return answerOf({ code: 'PLATFORM.CONTRACT_CALL_TIMEOUT', kind: 'unavailable', message: `${wireName} arrived after its caller's deadline.` });
    }
    let message: object;
    try {
      message = decodeMessage(wireName, body);
    } catch (error) {
      return answerOf({ code: 'PLATFORM.MALFORMED_MESSAGE', kind: 'invalid', message: (error as Error).message });
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
      return { status: 200, body: encodeResult(result, wireName) };
    } catch (error) {
      if (error instanceof CallTooLate) {
        return answerOf({ code: 'PLATFORM.CONTRACT_CALL_TIMEOUT', kind: 'unavailable', message: error.message });
      }
      const envelope = toErrorEnvelope(error, info.module);
      if (envelope.kind === 'internal') logger.error({ err: error, wireName, caller: caller.service }, 'internal call failed unexpectedly');
      else if (envelope.code === 'PLATFORM.DATABASE_UNAVAILABLE') logger.warn({ err: error, wireName }, 'internal call met an unavailable database');
      return answerOf(envelope);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One call of a batch, in a request context of its own built from what it carries. */
  async function answerBatched(info: ContractInfo, call: BatchedCall): Promise<string> {
    let caller: ServiceCaller;
    try {
      caller = await verifier!.verify(call.credential);
    } catch (error) {
      if (!(error instanceof ServiceCredentialError)) throw error;
      return answerOf({ code: 'PLATFORM.SERVICE_CREDENTIAL_INVALID', kind: 'unauthorized', message: error.message }).body;
    }
    const requestId = call.requestId !== undefined && SAFE_REQUEST_ID.test(call.requestId) ? call.requestId : randomUUID();
    const context = {
      requestId,
      correlationId: call.correlationId !== undefined && SAFE_REQUEST_ID.test(call.correlationId) ? call.correlationId : requestId,
      causationId: requestId,
      traceparent: typeof call.traceparent === 'string' && TRACEPARENT.test(call.traceparent) ? call.traceparent : null,
    };
    return (await requestContext.run(context, () => answer(caller, info, call.message, call.deadlineMs))).body;
  }

  fastify.post<Params>(`${RPC_PATH_PREFIX}:wireName`, async (request, reply) => {
    const admitted = await admit(request);
    if ('refused' in admitted) return send(reply, admitted.refused);
    const given = Number(request.headers['x-deadline-ms']);
    const remainingMs = Number.isFinite(given) && request.headers['x-deadline-ms'] !== undefined ? given : config.contractCallTimeoutMs;
    return send(reply, await answer(admitted.caller, admitted.info, request.body, remainingMs));
  });

  fastify.post<Params>(`${RPC_PATH_PREFIX}:wireName${RPC_BATCH_SUFFIX}`, async (request, reply) => {
    const admitted = await admit(request);
    if ('refused' in admitted) return send(reply, admitted.refused);
    const parsed = batchBodySchema.safeParse(request.body);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
        .join('; ');
      return send(reply, answerOf({ code: 'PLATFORM.MALFORMED_MESSAGE', kind: 'invalid', message: `Not a batch of calls: ${where}` }));
    }
    const { calls } = parsed.data;
    request.rpcCalls = calls.length;
    // Together, so that the callee's own group commits see them at once.
    const answers = await Promise.all(calls.map((call) => answerBatched(admitted.info, call)));
    return reply.code(200).type('application/json').send(`{"answers":[${answers.join(',')}]}`);
  });
}

class CallTooLate extends Error {
  constructor(wireName: string, ms: number) {
    super(`${wireName} could not be answered within its caller's ${ms} ms`);
  }
}
