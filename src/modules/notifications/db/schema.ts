import { index, pgSchema, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { consumerTables } from '../../../platform/events/messaging-tables.js';

export const notificationsSchema = pgSchema('notifications');

export const notifications = notificationsSchema.table(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    recipientUserId: uuid('recipient_user_id').notNull(),
    recipientEmail: text('recipient_email').notNull(),
    channel: text('channel').notNull(),
    template: text('template').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    eventId: uuid('event_id').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('notifications_recipient_idx').on(t.recipientUserId, t.sentAt),
    // One message per recipient per event, whatever the delivery path.
    unique('notifications_event_recipient_unique').on(t.eventId, t.recipientUserId, t.template),
  ],
);

export const { inbox, deadLetters } = consumerTables(notificationsSchema);
