import type { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Components } from './components.js';
import { errorResponsesOf } from './error-responses.js';
import { requestSchemaOf, responseSchemaOf, type JsonSchema } from './json-schema.js';
import { documentedRoutes, type DocumentedRoute } from './mounted-routes.js';
import { operationIdsOf } from './operation-ids.js';

const SUCCESS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted: the work goes on in the background',
  204: 'No content',
};

/** A line for each tag (a module, or the platform's `ops`), shown above its operations. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  identity: 'Accounts, log-in and the keys that verify access tokens',
  catalog: 'Products and their prices',
  inventory: 'Stock per SKU',
  ordering: 'Orders and the checkout that confirms or cancels them',
  payments: 'Charges and refunds of orders',
  shipping: "Products' shipping data and the shipments of confirmed orders",
  notifications: 'Messages sent to customers',
  reporting: 'Read models for admins: order summaries and sales',
  ops: 'Operator endpoints of the platform: durable events',
  health: 'Liveness and readiness probes for orchestrators',
};

/**
 * Builds the OpenAPI 3.1 description from the routes Nest actually mounted and the
 * zod schemas that validate them, so the document is never out of date. The error
 * answers follow from rules (error-responses.ts) and operationIds from the use cases'
 * controllers (operation-ids.ts); both throw here, when the application starts
 * (DocsController builds the document then), if a route breaks them. The contract spec (test/http/openapi-contract.spec.ts)
 * checks the server's real answers against this document with Prism.
 */
export function buildOpenApiDocument(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector) {
  const routes = documentedRoutes(discovery, scanner, reflector);
  const operationIds = operationIdsOf(routes);
  const components = new Components();
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  routes.forEach((route, index) => {
    for (const tag of route.options.tags ?? []) tags.add(tag);
    paths[route.path] ??= {};
    paths[route.path]![route.method] = operationOf(route, operationIds[index]!, components);
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Modular shop API',
      version: '1',
      description: 'E-commerce backend: a modular monolith with an extraction path.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative, so it resolves against wherever the document was fetched from (it is
    // served by the server it describes, at /docs/openapi.json), whatever the host name.
    servers: [{ url: '/', description: 'The server that serves this document' }],
    tags: [...tags].map((name) => ({ name, ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}) })),
    paths,
    components: components.toJSON(),
  };
}

function operationOf(route: DocumentedRoute, operationId: string, components: Components) {
  const { options, inputs } = route;
  const statuses = successStatusesOf(route);
  const description = [options.description, route.roles.length ? `Requires role: ${route.roles.join(' or ')}.` : undefined]
    .filter(Boolean)
    .join('\n\n');
  return {
    operationId,
    summary: options.summary,
    ...(description ? { description } : {}),
    tags: options.tags,
    security: route.isPublic ? [] : [{ bearerAuth: [] }],
    parameters: parametersOf(route),
    ...(inputs.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: requestSchemaOf(inputs.body) } } } }
      : {}),
    responses: {
      ...successResponsesOf(route, statuses, components),
      ...errorResponsesOf(route, statuses, components),
    },
  };
}

/**
 * The success statuses: those @ApiRoute lists (a create-or-replace PUT answers 201 or
 * 200), else the one Nest answers with. A list without Nest's own would be a lie.
 */
function successStatusesOf(route: DocumentedRoute): number[] {
  const declared = route.options.status;
  const statuses = declared === undefined ? [route.nestStatus] : [declared].flat();
  const where = `${route.controller}.${route.handler}`;
  if (!statuses.includes(route.nestStatus)) {
    throw new Error(`${where}: @ApiRoute says ${statuses.join(', ')} but the route answers ${route.nestStatus} (@HttpCode)`);
  }
  for (const status of statuses) if (status < 200 || status > 299) throw new Error(`${where}: ${status} is not a success`);
  return [...statuses].sort((a, b) => a - b);
}

function successResponsesOf(route: DocumentedRoute, statuses: number[], components: Components) {
  const { response, headers = {} } = route.options;
  const content = response ? { content: { 'application/json': { schema: responseSchemaOf(response) } } } : {};
  const declaredHeaders = Object.fromEntries(
    Object.entries(headers).map(([name, description]) => [name, { description, required: true, schema: { type: 'string' } }]),
  );
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: SUCCESS_TEXT[status] ?? 'Success',
        headers: { 'X-Request-Id': components.headerRef('RequestId'), ...declaredHeaders },
        ...content,
      },
    ]),
  );
}

const LOCATION_OF = { params: 'path', headers: 'header', query: 'query' } as const;

function parametersOf(route: DocumentedRoute): unknown[] {
  const parameters: unknown[] = [];
  for (const source of ['params', 'headers', 'query'] as const) {
    const schema = route.inputs[source];
    if (!schema) continue;
    const json = requestSchemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, { description, ...paramSchema }] of Object.entries(json.properties ?? {})) {
      parameters.push({
        name,
        in: LOCATION_OF[source],
        required: source === 'params' || (json.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: paramSchema,
      });
    }
  }
  return parameters;
}
