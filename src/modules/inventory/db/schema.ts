import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { outboxTable } from '../../../platform/events/messaging-tables.js';

export const inventorySchema = pgSchema('inventory');

/** productId refers to catalog by id only: no foreign key crosses a schema. */
export const stockItems = inventorySchema.table(
  'stock_items',
  {
    sku: text('sku').primaryKey(),
    productId: uuid('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    reserved: integer('reserved').notNull().default(0),
    location: text('location').notNull(),
    reorderPoint: integer('reorder_point').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('stock_quantity_non_negative', sql`${t.quantity} >= 0`),
    check('stock_reserved_within_quantity', sql`${t.reserved} >= 0 AND ${t.reserved} <= ${t.quantity}`),
    check('stock_reorder_point_non_negative', sql`${t.reorderPoint} >= 0`),
    index('stock_items_product_idx').on(t.productId),
  ],
);

/**
 * What is held for each order, one row per order id: the key that makes ReserveStock,
 * ReleaseStock and CommitStock idempotent. A RELEASED row with no lines is a
 * tombstone left by a release that came before any reservation.
 */
export const reservations = inventorySchema.table('reservations', {
  orderId: uuid('order_id').primaryKey(),
  status: text('status').$type<'RESERVED' | 'RELEASED' | 'COMMITTED'>().notNull(),
  lines: jsonb('lines').$type<{ sku: string; quantity: number }[]>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const outbox = outboxTable(inventorySchema);
