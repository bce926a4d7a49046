import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { OrderLineView } from '../../ordering/contract.js';
import { consumerTables } from '../../../platform/events/messaging-tables.js';

export const reportingSchema = pgSchema('reporting');

/**
 * One row per order, projected from ordering's events (CQRS read model). Events may
 * arrive in any order, so a row can be partial: an OrderConfirmed seen before its
 * OrderPlaced leaves `lines` and `placed_at` empty until the OrderPlaced arrives.
 * Names are copied in (best-effort, "Unknown" when identity or catalog could not
 * answer) so reports never call other modules.
 */
export const orderSummaries = reportingSchema.table(
  'order_summaries',
  {
    orderId: uuid('order_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    userName: text('user_name').notNull(),
    /** Product names in line order; empty until the OrderPlaced is projected. */
    productNames: text('product_names').array().notNull().default(sql`'{}'::text[]`),
    lines: jsonb('lines').$type<OrderLineView[]>(),
    totalAmount: integer('total_amount').notNull(),
    currency: text('currency').notNull(),
    /** PENDING, CONFIRMED or CANCELLED (see domain/summary-status.ts). */
    status: text('status').notNull(),
    cancellationReason: text('cancellation_reason'),
    placedAt: timestamp('placed_at', { withTimezone: true }),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The admin list: by status and/or placing time, newest first.
    index('order_summaries_status_placed_idx').on(t.status, t.placedAt.desc().nullsLast()),
    index('order_summaries_placed_idx').on(t.placedAt.desc().nullsLast()),
    // The sales report: confirmed orders by confirmation day.
    index('order_summaries_confirmed_idx').on(t.confirmedAt).where(sql`${t.status} = 'CONFIRMED'`),
  ],
);

export const { inbox, deadLetters } = consumerTables(reportingSchema);
