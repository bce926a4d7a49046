import { sql } from 'drizzle-orm';
import { check, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { outboxTable } from '../../../platform/events/messaging-tables.js';

export const paymentsSchema = pgSchema('payments');

/**
 * One row per order, ever: the primary key is what makes "one charge per order" hold
 * under any concurrency. The row is written PENDING before the provider is asked, so
 * a crash in between leaves a trace that a repeat settles with the same provider key
 * (payment_id).
 */
export const payments = paymentsSchema.table(
  'payments',
  {
    orderId: uuid('order_id').primaryKey(),
    /** Our id of the payment and the provider's idempotency key for the charge. */
    paymentId: uuid('payment_id').notNull().unique('payments_payment_id_unique'),
    status: text('status').notNull(),
    // The request's facts: null only on a VOIDED tombstone (a refund before any charge).
    userId: uuid('user_id'),
    amount: integer('amount'),
    currency: text('currency'),
    /**
     * The provider's card token, kept so a PENDING payment can be settled with the very
     * same request (a refund may be the one that settles it). A token is the
     * provider's reference, not card data.
     */
    paymentToken: text('payment_token'),
    declineReason: text('decline_reason'),
    /** The provider's charge id once charged. */
    providerReference: text('provider_reference'),
    /** The provider's refund id once refunded. */
    refundReference: text('refund_reference'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('payments_status_known', sql`${t.status} IN ('PENDING', 'COMPLETED', 'DECLINED', 'REFUNDED', 'VOIDED')`),
    check(
      'payments_request_known_unless_voided',
      sql`${t.status} = 'VOIDED' OR (${t.userId} IS NOT NULL AND ${t.amount} IS NOT NULL AND ${t.currency} IS NOT NULL AND ${t.paymentToken} IS NOT NULL)`,
    ),
    check('payments_amount_positive', sql`${t.amount} > 0`),
    check('payments_charged_has_reference', sql`${t.status} NOT IN ('COMPLETED', 'REFUNDED') OR ${t.providerReference} IS NOT NULL`),
    check('payments_declined_has_reason', sql`${t.status} <> 'DECLINED' OR ${t.declineReason} IS NOT NULL`),
  ],
);

export const outbox = outboxTable(paymentsSchema);
