import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { z } from 'zod';
import { recordInputSchema } from '../openapi/route-docs.js';
import type { InputSource } from './validation-error.js';

type ValidatedRequest = { validatedInput?: Partial<Record<InputSource, unknown>> };

const validated = createParamDecorator((source: InputSource, ctx: ExecutionContext) => {
  return ctx.switchToHttp().getRequest<ValidatedRequest>().validatedInput?.[source];
});

/**
 * Parameter decorators that declare the zod schema of one part of the request. The
 * InputValidationGuard checks all declared parts together (so one 400 names
 * every bad field, in the path, query and body alike), and the OpenAPI document is
 * built from the same schemas, so the two never disagree.
 */
function declare(source: 'body' | 'query' | 'params' | 'headers', schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    recordInputSchema(target, key, source, schema);
    validated(source)(target, key, index);
  };
}

export const ValidBody = (schema: z.ZodType): ParameterDecorator => declare('body', schema);
export const ValidQuery = (schema: z.ZodType): ParameterDecorator => declare('query', schema);
export const ValidParams = (schema: z.ZodType): ParameterDecorator => declare('params', schema);
/**
 * Request headers, validated like the rest. Node lower-cases header names, so the
 * schema's keys are lower case (`'idempotency-key'`); declare it as a loose object
 * (`z.looseObject`) since every request carries other headers too.
 */
export const ValidHeaders = (schema: z.ZodType): ParameterDecorator => declare('headers', schema);
