import { problemSchema } from './json-schema.js';

type Header = { description: string; required: boolean; schema: Record<string, unknown> };
type Response = { description: string; headers: Record<string, unknown>; content?: Record<string, unknown> };

/** Headers the edge sets itself (configure-http-edge.ts, send-problem.ts). */
const HEADERS = {
  RequestId: {
    description: 'The request id: the caller\'s `X-Request-Id` when it is safe (at most 128 of `[A-Za-z0-9._:-]`), else a new UUID.',
    required: true,
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:\\-]{1,128}$' },
  },
  WwwAuthenticate: {
    description: 'The scheme to authenticate with: `Bearer`.',
    required: true,
    schema: { type: 'string' },
  },
  // The edge sets it on every 429 and 503 (send-problem.ts, and the shutting-down answer).
  RetryAfter: {
    description: 'Seconds to wait before retrying.',
    required: true,
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
} satisfies Record<string, Header>;

type HeaderName = keyof typeof HEADERS;

const problem = (description: string, headers: HeaderName[] = []) => ({ description, headers });

/**
 * The error answers every route shares, by the rule that adds them (error-responses.ts).
 * A route that declares its own wording for one of these statuses gets a copy with it.
 */
export const STANDARD_ERRORS = {
  BadRequest: problem(
    'The request is invalid: `errors` names every bad field of the path, query, headers and body (a string holding a ' +
      'NUL character, \\u0000, or a lone surrogate counts), or the body is not valid JSON (`MALFORMED_JSON`).',
  ),
  BadQuery: problem(
    'A string of the query holds a NUL character (\\u0000) or a lone surrogate. The platform refuses them in any request; this route takes no input.',
  ),
  Unauthenticated: problem('A valid bearer access token is required: it is missing, expired or not ours.', ['WwwAuthenticate']),
  Forbidden: problem('The access token lacks a role this route requires (see the description).'),
  NotFound: problem('Nothing exists at this path, or nothing the caller may see (which is answered the same way).'),
  PayloadTooLarge: problem('The body exceeds the size limit (BODY_LIMIT_BYTES, 1 MiB by default).'),
  UnsupportedMediaType: problem('The body is not `application/json`.'),
  TooManyRequests: problem('Too many attempts from this caller; retry after `Retry-After` seconds.', ['RetryAfter']),
  Unavailable: problem(
    'Try again later: the instance is shutting down, the database is briefly unavailable, or a module this route needs ' +
      'did not answer.',
    ['RetryAfter'],
  ),
  UnexpectedError: problem('An unexpected error (500). Its details are only logged, under the `requestId` of the answer.'),
};

export type StandardError = keyof typeof STANDARD_ERRORS;

/**
 * The document's `components`, filled as operations refer to them, so none is unused
 * (which a linter rightly reports).
 */
export class Components {
  private readonly headers: Record<string, Header> = {};
  private readonly responses: Record<string, Response> = {};

  headerRef(name: HeaderName): { $ref: string } {
    this.headers[name] ??= HEADERS[name];
    return { $ref: `#/components/headers/${name}` };
  }

  /** A standard error by reference, or a copy of it when the route words it itself. */
  errorResponse(name: StandardError, description?: string): Response | { $ref: string } {
    if (description === undefined) {
      this.responses[name] ??= this.problemResponse(STANDARD_ERRORS[name].description, STANDARD_ERRORS[name].headers);
      return { $ref: `#/components/responses/${name}` };
    }
    return this.problemResponse(description, STANDARD_ERRORS[name].headers);
  }

  /** A problem answer with the request id and the given headers. */
  problemResponse(description: string, headers: HeaderName[] = []): Response {
    return {
      description,
      headers: Object.fromEntries([
        ['X-Request-Id', this.headerRef('RequestId')],
        ...headers.map((name) => [HEADER_FIELDS[name], this.headerRef(name)]),
      ]),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }

  toJSON() {
    return {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: problemSchema },
      headers: this.headers,
      responses: this.responses,
    };
  }
}

/** The field name each header component stands for. */
const HEADER_FIELDS: Record<HeaderName, string> = {
  RequestId: 'X-Request-Id',
  WwwAuthenticate: 'WWW-Authenticate',
  RetryAfter: 'Retry-After',
};
