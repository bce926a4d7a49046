/**
 * The base of every error a module's domain raises on purpose. It is plain
 * TypeScript (no Nest, no I/O) so `domain/` folders can extend it. The HTTP edge
 * maps `kind` to a status once, and `code` is the stable identifier callers match
 * on (`CATALOG.PRODUCT_NOT_FOUND`), independent of the message wording.
 */
export type DomainErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable';

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `price.amount`. */
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: DomainErrorKind;
  /** Per-field problems, for errors about specific input fields. */
  readonly fields: FieldProblem[] | undefined;
  /** For `rate_limited` and `unavailable`: when the caller may try again (the edge's `Retry-After`). */
  readonly retryAfterSeconds?: number;

  constructor(message: string, fields?: FieldProblem[]) {
    super(message);
    this.name = new.target.name;
    this.fields = fields;
  }
}
