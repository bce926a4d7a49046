import type { z } from 'zod';
import { DomainError, type FieldProblem } from '../contracts/domain-error.js';

/** Input that fails its schema: a 400 listing every offending field. */
export class ValidationFailedError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  readonly kind = 'invalid' as const;
  constructor(fields: FieldProblem[]) {
    super(`The request has ${fields.length} invalid field${fields.length === 1 ? '' : 's'}.`, fields);
  }
}

export type InputSource = 'body' | 'query' | 'params' | 'headers';

/** One problem per field; an unknown key is reported under its own name. */
export function fieldProblemsOf(error: z.ZodError, source: InputSource): FieldProblem[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: base ? `${base}.${key}` : key, message: 'is not a known field' }));
    }
    return [{ field: base || `(${source})`, message: issue.message }];
  });
}
