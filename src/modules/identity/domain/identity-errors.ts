import { DomainError } from '../../../platform/contracts/index.js';

export class EmailTakenError extends DomainError {
  readonly code = 'IDENTITY.EMAIL_TAKEN';
  readonly kind = 'conflict' as const;
  constructor() {
    super('An account with this email already exists.');
  }
}

/** Deliberately vague: it must not reveal whether the email exists. */
export class InvalidCredentialsError extends DomainError {
  readonly code = 'IDENTITY.INVALID_CREDENTIALS';
  readonly kind = 'unauthorized' as const;
  constructor() {
    super('The email or password is wrong.');
  }
}

export class UserNotFoundError extends DomainError {
  readonly code = 'IDENTITY.USER_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor() {
    super('The user does not exist.');
  }
}
