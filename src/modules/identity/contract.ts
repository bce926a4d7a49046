import { ContractCommand, ContractQuery, Command, defineIntegrationEvent, Query, z } from '../../platform/contracts/index.js';

/** identity's published language. */

export type UserRole = 'customer' | 'admin';

export interface UserView {
  id: string;
  email: string;
  name: string;
  roles: UserRole[];
  createdAt: string;
}

/**
 * Registers a customer. Fails with IDENTITY.EMAIL_TAKEN (409) when the email is in use.
 * Not idempotent: a repeat finds the email taken by the first and fails with
 * IDENTITY.EMAIL_TAKEN instead of answering the account the first created.
 */
@ContractCommand('identity', 'RegisterUser', { idempotent: false })
export class RegisterUser extends Command<UserView> {
  constructor(
    public readonly email: string,
    public readonly password: string,
    public readonly name: string,
  ) {
    super();
  }
}

@ContractQuery('identity', 'GetUser')
export class GetUser extends Query<UserView | null> {
  constructor(public readonly userId: string) {
    super();
  }
}

/** The users among `userIds` that exist, in one round trip. */
@ContractQuery('identity', 'GetUsers')
export class GetUsers extends Query<UserView[]> {
  constructor(public readonly userIds: string[]) {
    super();
  }
}

/** Every account holding the admin role (for messages to the shop's operators). */
@ContractQuery('identity', 'GetAdmins')
export class GetAdmins extends Query<UserView[]> {}

/** A customer account was created. */
export interface UserRegisteredPayload {
  userId: string;
  email: string;
  name: string;
}

// The payload schema, which a consumer checks before its handler runs. Ids are z.guid():
// any UUID Postgres stores (no version bits required). The email is as stored: lower case.
// `satisfies` keeps each schema within its payload interface; the converse (the schema
// admits every payload the interface allows) is proven by test/architecture/event-payloads.spec.ts.
export const UserRegistered = defineIntegrationEvent(
  'identity',
  'UserRegistered',
  1,
  z.object({ userId: z.guid(), email: z.email(), name: z.string() }) satisfies z.ZodType<UserRegisteredPayload>,
);

/** The codes of identity's domain errors, for callers that match on one. */
export const IdentityErrors = {
  /** conflict: RegisterUser with an email an account already has. */
  EMAIL_TAKEN: 'IDENTITY.EMAIL_TAKEN',
  /** unauthorized: a sign-in whose email or password is wrong (which one is not told). */
  INVALID_CREDENTIALS: 'IDENTITY.INVALID_CREDENTIALS',
  /** not_found: the user asked for (a profile) does not exist. */
  USER_NOT_FOUND: 'IDENTITY.USER_NOT_FOUND',
  /** rate_limited: too many failed sign-ins from one address; carries retryAfterSeconds. */
  TOO_MANY_LOGIN_ATTEMPTS: 'IDENTITY.TOO_MANY_LOGIN_ATTEMPTS',
  /** rate_limited: too many registrations from one address; carries retryAfterSeconds. */
  TOO_MANY_REGISTRATIONS: 'IDENTITY.TOO_MANY_REGISTRATIONS',
  /** unavailable: every password-hashing slot and its queue are taken; try again shortly. */
  BUSY: 'IDENTITY.BUSY',
} as const;
