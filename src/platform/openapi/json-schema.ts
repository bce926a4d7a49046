import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/**
 * What a caller may send. Input mode: a default makes a field optional, and an object
 * closes only where its zod schema is strict, exactly as the InputValidationGuard reads it.
 */
export function requestSchemaOf(schema: z.ZodType): JsonSchema {
  return withoutDialect(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
}

/**
 * What a route answers. Output mode closes every object (`additionalProperties: false`),
 * so a field a handler returns but the document does not describe is a violation the
 * contract test (Prism) reports, rather than a field clients never learn about.
 */
export function responseSchemaOf(schema: z.ZodType): JsonSchema {
  return withoutDialect(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }));
}

// OpenAPI 3.1 schemas are JSON Schema 2020-12 already; `$schema` in each would only be noise.
function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/**
 * RFC 9457 problem details with our stable `code` (problem-details.ts). Left open to
 * more members, as the RFC allows extensions; `errors` lists bad fields of a 400.
 */
export const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; match on `code`, which is stable, not on the wording.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', description: 'urn:shop:problem:<code in lower case>' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', description: 'Stable identifier, e.g. VALIDATION_FAILED or ORDERING.ORDER_NOT_FOUND' },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request path' },
    requestId: { type: 'string', description: 'The X-Request-Id of the request, to find its log lines' },
    errors: {
      type: 'array',
      description: 'Every offending field, for errors about specific input fields',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: { type: 'string', description: 'Dotted path, e.g. `price.amount`; `(body)` for the body as a whole' },
          message: { type: 'string' },
        },
      },
    },
  },
};
