import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { outboxTable } from '../../../platform/events/messaging-tables.js';
import type { ShippingAddress } from '../../shipping/contract.js';

export const orderingSchema = pgSchema('ordering');

/** user and product ids refer to identity and catalog by id only: no foreign key crosses a schema. */
export const orders = orderingSchema.table(
  'orders',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    status: text('status').notNull(),
    cancellationReason: text('cancellation_reason'),
    totalAmount: integer('total_amount').notNull(),
    currency: text('currency').notNull(),
    shippingAddress: jsonb('shipping_address').$type<ShippingAddress>().notNull(),
    /** The card token the customer gave; the saga pays with it, also after a restart. */
    paymentToken: text('payment_token').notNull(),
    /** The client's Idempotency-Key and a hash of the request it came with. */
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    shipmentId: uuid('shipment_id'),
    trackingNumber: text('tracking_number'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('orders_user_idempotency_key_unique').on(t.userId, t.idempotencyKey),
    index('orders_user_created_idx').on(t.userId, t.createdAt),
    check('orders_total_non_negative', sql`${t.totalAmount} >= 0`),
  ],
);

export const orderLines = orderingSchema.table(
  'order_lines',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    lineNo: integer('line_no').notNull(),
    productId: uuid('product_id').notNull(),
    sku: text('sku').notNull(),
    quantity: integer('quantity').notNull(),
    unitAmount: integer('unit_amount').notNull(),
    currency: text('currency').notNull(),
    productName: text('product_name').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.lineNo] }), check('order_lines_quantity_positive', sql`${t.quantity} > 0`)],
);

/**
 * The checkout saga's persisted state, written before each step so a restarted
 * process resumes where the last one stopped. `startedSteps` lists every step begun
 * (its outcome may be unknown after a crash or a timeout): those are compensated.
 */
export const checkoutSagas = orderingSchema.table(
  'checkout_sagas',
  {
    orderId: uuid('order_id')
      .primaryKey()
      .references(() => orders.id, { onDelete: 'cascade' }),
    state: text('state').notNull(),
    startedSteps: text('started_steps').array().notNull().default(sql`'{}'::text[]`),
    stepStartedAt: timestamp('step_started_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** The process driving the saga, until `leaseUntil`; its writes check it, so a process that lost the lease stops. */
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    failureReason: text('failure_reason'),
    lastError: text('last_error'),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The resumer's scan: unfinished sagas only.
    index('checkout_sagas_unfinished_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.state} NOT IN ('CONFIRMED', 'CANCELLED', 'COMPENSATION_FAILED')`),
    index('checkout_sagas_state_idx').on(t.state),
  ],
);

export const outbox = outboxTable(orderingSchema);
