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

/** Too many sign-in attempts from this address (for this account, or for any): 429 with Retry-After. */
export class TooManyLoginAttemptsError extends DomainError {
  readonly code = 'IDENTITY.TOO_MANY_LOGIN_ATTEMPTS';
  readonly kind = 'rate_limited' as const;
  constructor(override readonly retryAfterSeconds: number) {
    super(`Too many failed sign-ins from this address; try again in ${retryAfterSeconds} s.`);
  }
}

/** Too many accounts registered from this address: 429 with Retry-After. */
export class TooManyRegistrationsError extends DomainError {
  readonly code = 'IDENTITY.TOO_MANY_REGISTRATIONS';
  readonly kind = 'rate_limited' as const;
  constructor(override readonly retryAfterSeconds: number) {
    super(`Too many registrations from this address; try again in ${retryAfterSeconds} s.`);
  }
}
