import type { z } from 'zod';

/** What the OpenAPI builder knows about one route method, recorded by decorators. */
export interface RouteDocs {
  summary?: string;
  tags?: string[];
  inputs: Partial<Record<'body' | 'query' | 'params' | 'headers', z.ZodType>>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

const ROUTE_DOCS = Symbol.for('shop.openapi.route');

export function routeDocsOf(target: object, key: string | symbol): RouteDocs | undefined {
  return Reflect.getMetadata(ROUTE_DOCS, target, key) as RouteDocs | undefined;
}

function docsFor(target: object, key: string | symbol | undefined): RouteDocs {
  if (key === undefined) throw new Error('route docs apply to methods only');
  let docs = routeDocsOf(target, key);
  if (!docs) {
    docs = { inputs: {}, responses: {} };
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

/** Describes a route for the OpenAPI document: a summary and its success response. */
export function ApiRoute(options: {
  summary: string;
  tags?: string[];
  status?: number;
  response?: z.ZodType;
  description?: string;
}): MethodDecorator {
  return (target, key) => {
    const docs = docsFor(target, key);
    docs.summary = options.summary;
    docs.tags = options.tags;
    docs.responses[options.status ?? 200] = {
      description: options.description ?? 'Success',
      schema: options.response,
    };
  };
}
