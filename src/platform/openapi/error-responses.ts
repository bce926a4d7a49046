import type { Components, StandardError } from './components.js';
import type { DocumentedRoute } from './mounted-routes.js';
import type { DeclaredErrorStatus } from './route-docs.js';

/**
 * The error answers of one operation. Most follow from what the platform does to every
 * route, so they are derived here once rather than written on each:
 *
 * - 400 on every route: the InputValidationGuard checks what the route declares
 *   (params, query, headers, body) and refuses text PostgreSQL cannot store (a NUL character, a lone surrogate) in any string of the
 *   path, query or body of any request.
 * - 401 unless @Public(); 403 with @Roles(...) (AccessGuard).
 * - 404 when a path parameter names the resource, unless the route creates it (a 201)
 *   or says `notFound: false`.
 * - 413 and 415 with a body: Fastify's body limit, and JSON as the only body type.
 * - 503 on every route: the edge answers it while shutting down, and when the database
 *   is briefly unavailable.
 * - `default` for the unexpected 500.
 *
 * What only a route's logic knows (a 409, a 422, the 429 of throttling, the 401 of a
 * public log-in) it declares with `errors` in @ApiRoute, with its wording; a declared
 * wording also replaces the derived one of that status.
 */
export function errorResponsesOf(route: DocumentedRoute, successStatuses: readonly number[], components: Components) {
  const declared = route.options.errors ?? {};
  const hasInput = Object.values(route.inputs).some(Boolean);
  const derived = new Map<number, StandardError>([[400, hasInput ? 'BadRequest' : 'BadQuery']]);
  if (!route.isPublic) derived.set(401, 'Unauthenticated');
  if (route.roles.length) derived.set(403, 'Forbidden');
  if (route.options.notFound ?? (route.inputs.params !== undefined && !successStatuses.includes(201))) {
    derived.set(404, 'NotFound');
  }
  if (route.inputs.body) {
    derived.set(413, 'PayloadTooLarge');
    derived.set(415, 'UnsupportedMediaType');
  }
  derived.set(503, 'Unavailable');
  if (route.options.notFound === false && declared[404]) {
    throw new Error(`${route.controller}.${route.handler}: declares a 404 and notFound: false`);
  }

  const responses: Record<string, unknown> = {};
  const statuses = [...new Set([...derived.keys(), ...Object.keys(declared).map(Number)])].sort((a, b) => a - b);
  for (const status of statuses) {
    const wording = declared[status as DeclaredErrorStatus];
    const standard = derived.get(status) ?? STANDARD_OF_DECLARED[status];
    responses[status] = standard
      ? components.errorResponse(standard, wording)
      : components.problemResponse(wording ?? `Error ${status}`);
  }
  responses.default = components.errorResponse('UnexpectedError');
  return responses;
}

/** Declared statuses that carry the headers of a standard answer (429's Retry-After, 401's WWW-Authenticate). */
const STANDARD_OF_DECLARED: Partial<Record<number, StandardError>> = {
  401: 'Unauthenticated',
  404: 'NotFound',
  429: 'TooManyRequests',
  503: 'Unavailable',
};
