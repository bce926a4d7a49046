import { DomainError } from '../contracts/domain-error.js';

export class UnauthenticatedError extends DomainError {
  readonly code = 'AUTH.UNAUTHENTICATED';
  readonly kind = 'unauthorized' as const;
}

export class ForbiddenError extends DomainError {
  readonly code = 'AUTH.FORBIDDEN';
  readonly kind = 'forbidden' as const;
}
