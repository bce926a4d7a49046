import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, primaryKey, text, timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core';

/**
 * The durable-messaging tables a module keeps in its own schema. A module's
 * db/schema.ts exports the ones it needs, so drizzle-kit generates them into that
 * module's migrations:
 *   export const outbox = outboxTable(catalogSchema);                    // publishers
 *   export const { inbox, deadLetters } = consumerTables(notificationsSchema); // consumers
 */
export function outboxTable(schema: PgSchema) {
  return schema.table(
    'outbox',
    {
      /** Commit order is roughly insertion order; the relay publishes oldest first. */
      seq: bigserial('seq', { mode: 'number' }).primaryKey(),
      id: uuid('id').notNull().unique(),
      type: text('type').notNull(),
      version: integer('version').notNull(),
      payload: jsonb('payload').notNull(),
      occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
      correlationId: text('correlation_id').notNull(),
      causationId: text('causation_id').notNull(),
      traceparent: text('traceparent'),
      /** A relay holding the row until then; expired claims are taken over. */
      claimedUntil: timestamp('claimed_until', { withTimezone: true }),
      publishedAt: timestamp('published_at', { withTimezone: true }),
    },
    (t) => [
      index('outbox_unpublished_idx').on(t.seq).where(sql`${t.publishedAt} IS NULL`),
      index('outbox_published_idx').on(t.publishedAt),
      index('outbox_type_time_idx').on(t.type, t.occurredAt),
    ],
  );
}

export function consumerTables(schema: PgSchema) {
  const inbox = schema.table(
    'inbox',
    {
      eventId: uuid('event_id').notNull(),
      subscription: text('subscription').notNull(),
      processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [primaryKey({ columns: [t.eventId, t.subscription] }), index('inbox_processed_idx').on(t.processedAt)],
  );
  const deadLetters = schema.table(
    'dead_letters',
    {
      id: uuid('id').primaryKey().defaultRandom(),
      eventId: uuid('event_id').notNull(),
      subscription: text('subscription').notNull(),
      envelope: jsonb('envelope').notNull(),
      attempts: integer('attempts').notNull(),
      lastError: text('last_error').notNull(),
      failedAt: timestamp('failed_at', { withTimezone: true }).notNull().defaultNow(),
      redrivenAt: timestamp('redriven_at', { withTimezone: true }),
    },
    (t) => [index('dead_letters_pending_idx').on(t.failedAt).where(sql`${t.redrivenAt} IS NULL`)],
  );
  return { inbox, deadLetters };
}
