/** The authenticated caller, as read from a verified access token. */
export type Role = 'customer' | 'admin';

export const ROLES: readonly Role[] = ['customer', 'admin'];

export interface Principal {
  userId: string;
  email: string;
  roles: Role[];
}
