import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import type { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { z } from 'zod';
import { IS_PUBLIC, REQUIRED_ROLES } from '../auth/access-decorators.js';
import { routeDocsOf } from './route-docs.js';

type JsonSchema = Record<string, unknown>;

const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

function toJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function joinPath(...parts: (string | undefined)[]): string {
  const joined = parts
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return `/${joined}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * Builds the OpenAPI 3.1 description from the routes Nest actually mounted and the
 * zod schemas that validate them, so the document is never out of date.
 */
export function buildOpenApiDocument(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as object | undefined;
    const type = wrapper.metatype as Function | undefined;
    if (!instance || !type) continue;
    const prototype = Object.getPrototypeOf(instance) as object;
    const base = Reflect.getMetadata(PATH_METADATA, type) as string | undefined;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = (prototype as Record<string, Function>)[name];
      if (!handler) continue;
      const route = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (route === undefined || method === undefined) continue;
      const docs = routeDocsOf(prototype, name);
      if (!docs) continue; // undocumented routes (the docs themselves) stay out
      const isPublic = reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, type]) ?? false;
      const roles = reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, [handler, type]);
      const parameters: unknown[] = [];
      for (const source of ['params', 'headers', 'query'] as const) {
        const schema = docs.inputs[source];
        if (!schema) continue;
        const json = toJsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
        for (const [param, paramSchema] of Object.entries(json.properties ?? {})) {
          parameters.push({
            name: param,
            in: source === 'params' ? 'path' : source === 'headers' ? 'header' : 'query',
            required: source === 'params' || (json.required ?? []).includes(param),
            schema: paramSchema,
          });
        }
      }
      const responses: Record<string, unknown> = {};
      for (const [status, response] of Object.entries(docs.responses)) {
        responses[status] = {
          description: response.description,
          ...(response.schema ? { content: { 'application/json': { schema: toJsonSchema(response.schema) } } } : {}),
        };
      }
      responses.default = {
        description: 'Error',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
      const path = joinPath(base, route);
      paths[path] ??= {};
      paths[path][RequestMethod[method].toLowerCase()] = {
        summary: docs.summary,
        tags: docs.tags,
        description: roles?.length ? `Requires role: ${roles.join(' or ')}.` : undefined,
        security: isPublic ? [] : [{ bearerAuth: [] }],
        parameters,
        ...(docs.inputs.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema(docs.inputs.body) } } } }
          : {}),
        responses,
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Modular shop API',
      version: '1',
      description: 'E-commerce backend: a modular monolith with an extraction path.',
    },
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: problemSchema },
    },
  };
}
