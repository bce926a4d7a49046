import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { FieldProblem } from '../contracts/domain-error.js';
import { routeDocsOf } from '../openapi/route-docs.js';
import { fieldProblemsOf, ValidationFailedError, type InputSource } from './validation-error.js';

const SOURCES = ['params', 'query', 'body'] as const;

/**
 * Validates every input a route declared with ValidParams/ValidQuery/ValidBody, after
 * the access guard (so an anonymous caller gets 401, not a list of field errors) and
 * before the handler. All problems are collected into one 400.
 */
@Injectable()
export class InputValidationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const docs = routeDocsOf(context.getClass().prototype as object, context.getHandler().name);
    if (!docs) return next.handle();
    const request = context.switchToHttp().getRequest<Record<InputSource, unknown> & {
      validatedInput?: Partial<Record<InputSource, unknown>>;
    }>();
    const problems: FieldProblem[] = [];
    const validatedInput: Partial<Record<InputSource, unknown>> = {};
    for (const source of SOURCES) {
      const schema = docs.inputs[source];
      if (!schema) continue;
      const raw = request[source] ?? (source === 'body' ? undefined : {});
      const parsed = schema.safeParse(raw);
      if (parsed.success) validatedInput[source] = parsed.data;
      else problems.push(...fieldProblemsOf(parsed.error, source));
    }
    if (problems.length) throw new ValidationFailedError(problems);
    request.validatedInput = validatedInput;
    return next.handle();
  }
}
