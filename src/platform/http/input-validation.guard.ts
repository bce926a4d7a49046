import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FieldProblem } from '../contracts/domain-error.js';
import { routeDocsOf, type RouteDocs } from '../openapi/route-docs.js';
import { unstorableTextProblemsOf } from './unstorable-text.js';
import { fieldProblemsOf, ValidationFailedError, type InputSource } from './validation-error.js';

const SOURCES = ['params', 'headers', 'query', 'body'] as const;
/** Where text PostgreSQL cannot store is refused on every route (Node's parser already refuses NUL in headers). */
const TEXT_CHECKED: readonly InputSource[] = ['params', 'query', 'body'];

type ValidatingRequest = Record<InputSource, unknown> & { validatedInput?: Partial<Record<InputSource, unknown>> };

/**
 * Validates every input a route declared with ValidParams/ValidHeaders/ValidQuery/ValidBody and
 * collects all problems into one 400. It is a guard registered after the AccessGuard,
 * so an anonymous caller gets 401 rather than a list of field errors. On every route,
 * declared or not, it also refuses text PostgreSQL cannot store (a NUL character, a
 * lone surrogate) in any string of the path, query or body (unstorable-text.ts). (A guard, not
 * an interceptor: interceptors wrap every request in rxjs, which the product-read
 * benchmark showed to be a measurable share of a cheap request.)
 */
@Injectable()
export class InputValidationGuard implements CanActivate {
  private readonly docsByHandler = new WeakMap<Function, RouteDocs | null>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<ValidatingRequest>();
    let problems: FieldProblem[] | undefined;
    for (const source of TEXT_CHECKED) {
      const found = unstorableTextProblemsOf(request[source], source);
      if (found.length) (problems ??= []).push(...found);
    }
    const docs = this.docsOf(context);
    if (!docs) {
      if (problems) throw new ValidationFailedError(problems);
      return true;
    }
    const validatedInput: Partial<Record<InputSource, unknown>> = {};
    for (const source of SOURCES) {
      const schema = docs.inputs[source];
      if (!schema) continue;
      const parsed = schema.safeParse(request[source] ?? (source === 'body' ? undefined : {}));
      if (parsed.success) validatedInput[source] = parsed.data;
      else (problems ??= []).push(...fieldProblemsOf(parsed.error, source));
    }
    if (problems) throw new ValidationFailedError(problems);
    request.validatedInput = validatedInput;
    return true;
  }

  private docsOf(context: ExecutionContext): RouteDocs | null {
    const handler = context.getHandler();
    let docs = this.docsByHandler.get(handler);
    if (docs === undefined) {
      docs = routeDocsOf(context.getClass().prototype as object, handler.name) ?? null;
      this.docsByHandler.set(handler, docs);
    }
    return docs;
  }
}
