import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { outboxTable } from '../../../platform/events/messaging-tables.js';
import type { ShipmentLine, ShippingAddress } from '../contract.js';

export const shippingSchema = pgSchema('shipping');

/**
 * What shipping knows about a product: weight, size and hazard. Catalog's Product is
 * the same thing seen by another context, referred to by id only (no foreign key).
 */
export const shippableItems = shippingSchema.table(
  'shippable_items',
  {
    productId: uuid('product_id').primaryKey(),
    weightGrams: integer('weight_grams').notNull(),
    lengthMm: integer('length_mm').notNull(),
    widthMm: integer('width_mm').notNull(),
    heightMm: integer('height_mm').notNull(),
    hazardous: boolean('hazardous').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('shippable_items_weight_positive', sql`${t.weightGrams} > 0`),
    check('shippable_items_size_positive', sql`${t.lengthMm} > 0 AND ${t.widthMm} > 0 AND ${t.heightMm} > 0`),
  ],
);

/** One shipment per order: the unique order_id is what makes CreateShipment idempotent. */
export const shipments = shippingSchema.table(
  'shipments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull().unique('shipments_order_id_unique'),
    userId: uuid('user_id').notNull(),
    trackingNumber: text('tracking_number').notNull().unique('shipments_tracking_number_unique'),
    carrier: text('carrier').notNull(),
    status: text('status').notNull(),
    address: jsonb('address').$type<ShippingAddress>().notNull(),
    lines: jsonb('lines').$type<ShipmentLine[]>().notNull(),
    totalWeightGrams: integer('total_weight_grams').notNull(),
    hazardous: boolean('hazardous').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('shipments_total_weight_positive', sql`${t.totalWeightGrams} > 0`),
    index('shipments_user_created_idx').on(t.userId, t.createdAt),
  ],
);

export const outbox = outboxTable(shippingSchema);
