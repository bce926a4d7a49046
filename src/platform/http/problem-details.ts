import { HttpException } from '@nestjs/common';
import { DomainError, type DomainErrorKind, type FieldProblem } from '../contracts/domain-error.js';
import { isTransientDatabaseFailure } from '../database/database-unavailable.js';

/** An RFC 9457 problem details body, with our stable `code` and the request id. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldProblem[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

/** The HTTP status a domain error of this kind answers with, at the edge and on the internal RPC wire. */
export function statusOfKind(kind: DomainErrorKind): number {
  return STATUS_OF_KIND[kind];
}

const CODE_OF_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** Fastify's own error codes that come from bad client input, before any route runs. */
const FASTIFY_CODES: Record<string, { code: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', detail: 'The request body exceeds the size limit.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_JSON', detail: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED_JSON', detail: 'The request body is empty but declared as JSON.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the body as application/json.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST', detail: 'Content-Length does not match the body.' },
  // Ours, raised by json-bodies-only.ts before the body is read.
  SHOP_ERR_CONTENT_ENCODING: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the body without a Content-Encoding (no gzip, deflate or br).' },
};

/** A 503 tells the caller to come back: when, unless the error says otherwise. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

function titleOf(status: number): string {
  const code = CODE_OF_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
  return code.charAt(0) + code.slice(1).toLowerCase().replaceAll('_', ' ');
}

export function problem(status: number, code: string, detail?: string, errors?: FieldProblem[]): ProblemDetails {
  return {
    type: `urn:shop:problem:${code.toLowerCase()}`,
    title: titleOf(status),
    status,
    code,
    ...(detail ? { detail } : {}),
    ...(errors ? { errors } : {}),
  };
}

/** What the edge answers for an error, and how it should be logged. */
export interface ProblemAnswer {
  problem: ProblemDetails;
  /** `unexpected`: a bug, logged as an error; `transient`: the database was away, a warning; `expected`: nothing to log. */
  outcome: 'expected' | 'transient' | 'unexpected';
  /** Seconds for `Retry-After` (429 and 503 answers). */
  retryAfterSeconds?: number;
}

function withRetryAfter(answer: Omit<ProblemAnswer, 'retryAfterSeconds'>, seconds?: number): ProblemAnswer {
  const status = answer.problem.status;
  if (status !== 429 && status !== 503) return answer;
  return { ...answer, retryAfterSeconds: seconds ?? DEFAULT_RETRY_AFTER_SECONDS };
}

/**
 * Turns anything thrown while serving a request into a problem body. Unexpected
 * errors become a bare 500: their message may hold internals and is only logged.
 * A database that is briefly away (a restart, a failover, a terminated connection)
 * is not a bug: 503 with `Retry-After`. Whether a write was applied before the
 * connection dropped cannot be known (it may have been, if it was lost at COMMIT), so
 * the answer says so: a retry is safe where the route is idempotent (Idempotency-Key).
 */
export function toProblem(error: unknown): ProblemAnswer {
  if (error instanceof DomainError) {
    const status = STATUS_OF_KIND[error.kind];
    return withRetryAfter({ problem: problem(status, error.code, error.message, error.fields), outcome: 'expected' }, error.retryAfterSeconds);
  }
  // Nest wraps Fastify's own client errors (body too large, bad JSON) in an HttpException.
  const fastifyError = (error instanceof HttpException ? error.cause : error) as
    | { code?: unknown; statusCode?: unknown }
    | undefined;
  const fastifyCode = fastifyError?.code;
  if (typeof fastifyCode === 'string' && FASTIFY_CODES[fastifyCode]) {
    const known = FASTIFY_CODES[fastifyCode];
    const status = typeof fastifyError?.statusCode === 'number' ? fastifyError.statusCode : 400;
    return { problem: problem(status, known.code, known.detail), outcome: 'expected' };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const detail =
      typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? error.message);
    return withRetryAfter({
      problem: problem(status, CODE_OF_STATUS[status] ?? `HTTP_${status}`, detail),
      // A 503 the code chose to answer (readiness while the database is away) is an outcome, not a bug.
      outcome: status >= 500 && status !== 503 ? 'unexpected' : 'expected',
    });
  }
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return {
      problem: problem(statusCode, CODE_OF_STATUS[statusCode] ?? `HTTP_${statusCode}`, (error as Error).message),
      outcome: 'expected',
    };
  }
  if (isTransientDatabaseFailure(error)) {
    return withRetryAfter({
      problem: problem(
        503,
        'DATABASE_UNAVAILABLE',
        'The database is briefly unavailable, and the request may not have been applied. Retry it (with the same Idempotency-Key where the route takes one).',
      ),
      outcome: 'transient',
    });
  }
  return { problem: problem(500, 'INTERNAL', 'An unexpected error occurred.'), outcome: 'unexpected' };
}
