import { ContractCommand, ContractQuery, Command, defineIntegrationEvent, Query } from '../../platform/contracts/index.js';

/** identity's published language. */

export type UserRole = 'customer' | 'admin';

export interface UserView {
  id: string;
  email: string;
  name: string;
  roles: UserRole[];
  createdAt: string;
}

/** Registers a customer. Fails with IDENTITY.EMAIL_TAKEN (409) when the email is in use. */
@ContractCommand('identity', 'RegisterUser')
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

export const UserRegistered = defineIntegrationEvent<UserRegisteredPayload>('identity', 'UserRegistered', 1);
