import type { z } from 'zod';

/**
 * The error statuses a route may declare on top of those the document builder derives
 * (openapi-document.ts). The builder adds 400, 401, 403, 404, 413, 415 and 503 by rule;
 * a route declares what only its own logic knows: a 409 conflict, a 422, a 429 of its
 * throttling, a 401 of a public route (log-in), a 404 of a lookup not named by the path.
 */
export type DeclaredErrorStatus = 400 | 401 | 403 | 404 | 409 | 422 | 429 | 503;

/** What a route says about itself for the OpenAPI document, with @ApiRoute. */
export interface ApiRouteOptions {
  summary: string;
  description?: string;
  tags?: string[];
  /**
   * The camelCase name generated clients give the call. Omit it on a controller that
   * serves one route: the builder derives it from the use case's controller
   * (`PlaceOrderController` → `placeOrder`). A controller serving several routes must
   * name each, since one class name cannot name them all.
   */
  operationId?: string;
  /**
   * Success statuses, when the route answers more than one (a create-or-replace PUT:
   * `[201, 200]`). Omitted, it is the route's own status (`@HttpCode`, or Nest's 201
   * for POST and 200 otherwise). The builder refuses a list that lacks the route's own.
   */
  status?: number | readonly number[];
  /** The body of every success status. */
  response?: z.ZodType;
  /** Headers every success answer carries, name → what it holds (the `Location` of a 202). */
  headers?: Record<string, string>;
  /** Error statuses the route's own logic answers, status → when (`{ 409: 'The email is taken' }`). */
  errors?: Partial<Record<DeclaredErrorStatus, string>>;
  /**
   * Whether a path parameter names a resource that may not exist (404). The builder
   * assumes so for every route with path parameters that does not create what it
   * names (a 201); set `false` where the route answers something else for any id.
   */
  notFound?: boolean;
}

/** What the OpenAPI builder knows about one route method, recorded by decorators. */
export interface RouteDocs {
  /** Set by @ApiRoute; a route without it stays out of the document. */
  route?: ApiRouteOptions;
  inputs: Partial<Record<'body' | 'query' | 'params' | 'headers', z.ZodType>>;
}

const ROUTE_DOCS = Symbol.for('shop.openapi.route');

export function routeDocsOf(target: object, key: string | symbol): RouteDocs | undefined {
  return Reflect.getMetadata(ROUTE_DOCS, target, key) as RouteDocs | undefined;
}

function docsFor(target: object, key: string | symbol | undefined): RouteDocs {
  if (key === undefined) throw new Error('route docs apply to methods only');
  let docs = routeDocsOf(target, key);
  if (!docs) {
    docs = { inputs: {} };
    Reflect.defineMetadata(ROUTE_DOCS, docs, target, key);
  }
  return docs;
}

export function recordInputSchema(
  target: object,
  key: string | symbol | undefined,
  source: 'body' | 'query' | 'params' | 'headers',
  schema: z.ZodType,
): void {
  docsFor(target, key).inputs[source] = schema;
}

/**
 * Describes a route for the OpenAPI document: its summary, success answer, and the
 * errors only its own logic knows. Everything the platform itself decides (inputs,
 * auth, body limits, shutdown) the builder derives; see openapi-document.ts.
 */
export function ApiRoute(options: ApiRouteOptions): MethodDecorator {
  return (target, key) => {
    docsFor(target, key).route = options;
  };
}
