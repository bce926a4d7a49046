import { index, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { outboxTable } from '../../../platform/events/messaging-tables.js';

export const identitySchema = pgSchema('identity');

export const users = identitySchema.table(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored lower-cased: the unique index is the single source of "email taken". */
    email: text('email').notNull().unique('users_email_unique'),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    roles: text('roles').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('users_roles_idx').using('gin', t.roles)],
);

export const outbox = outboxTable(identitySchema);
