import { Body, Param, Query, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { fieldProblemsOf, ValidationFailedError, type InputSource } from './validation-error.js';
import { recordInputSchema } from '../openapi/route-docs.js';

class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly source: InputSource,
  ) {}

  transform(value: unknown): z.infer<S> {
    const parsed = this.schema.safeParse(value ?? (this.source === 'body' ? undefined : {}));
    if (!parsed.success) throw new ValidationFailedError(fieldProblemsOf(parsed.error, this.source));
    return parsed.data;
  }
}

/**
 * Parameter decorators that validate one part of the request against a zod schema
 * and document it in the OpenAPI description, so the two can never disagree.
 */
export function ValidBody(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    recordInputSchema(target, key, 'body', schema);
    Body(new ZodPipe(schema, 'body'))(target, key, index);
  };
}

export function ValidQuery(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    recordInputSchema(target, key, 'query', schema);
    Query(new ZodPipe(schema, 'query'))(target, key, index);
  };
}

export function ValidParams(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    recordInputSchema(target, key, 'params', schema);
    Param(new ZodPipe(schema, 'params'))(target, key, index);
  };
}
