import { Inject, Injectable } from '@nestjs/common';
import { eq, inArray, sql } from 'drizzle-orm';
import { MODULE_DATABASE, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { OUTBOX, type Outbox } from '../../../platform/events/outbox.js';
import type { Db } from '../../../platform/database/module-database.js';
import type { RequestContext } from '../../../platform/logging/request-context.js';
import { StockLow, type StockView } from '../contract.js';
import { becameLow, type StockLevel } from '../domain/stock-level.js';
import { ProductOfSkuChangedError, QuantityBelowReservedError } from '../domain/inventory-errors.js';
import type { SetStockInput } from '../domain/stock-input.js';
import { stockItems } from './schema.js';

export type StockItemRow = typeof stockItems.$inferSelect;
type Row = StockItemRow;

/** What a StockLow says about an item. */
export type StockLowSource = Pick<Row, 'sku' | 'productId' | 'quantity' | 'reserved' | 'reorderPoint' | 'location'>;

/** One change of one item, made for the caller of `context`. */
export interface StockChange {
  before: StockLevel | null;
  after: StockLowSource;
  context?: RequestContext | undefined;
}

function toView(row: Row): StockView {
  return {
    sku: row.sku,
    productId: row.productId,
    quantity: row.quantity,
    reserved: row.reserved,
    available: row.quantity - row.reserved,
    location: row.location,
    reorderPoint: row.reorderPoint,
    updatedAt: row.updatedAt.toISOString(),
  };
}

@Injectable()
export class StockItemsRepository {
  constructor(
    @Inject(MODULE_DATABASE) private readonly database: ModuleDatabase,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {}

  async findBySku(sku: string): Promise<StockView | null> {
    const [row] = await this.database.db.select().from(stockItems).where(eq(stockItems.sku, sku)).limit(1);
    return row ? toView(row) : null;
  }

  async findBySkus(skus: string[]): Promise<StockView[]> {
    if (skus.length === 0) return [];
    const rows = await this.database.db.select().from(stockItems).where(inArray(stockItems.sku, skus));
    return rows.map(toView);
  }

  /**
   * Sets the on-hand quantity of a SKU, creating the item if it is new. Runs under a
   * row lock so a concurrent reservation cannot slip between the check and the write.
   */
  async set(sku: string, input: SetStockInput): Promise<{ stock: StockView; created: boolean }> {
    return this.database.transaction(async (tx) => {
      const lockCurrent = () => tx.select().from(stockItems).where(eq(stockItems.sku, sku)).for('update');
      let [current] = await lockCurrent();
      if (!current) {
        const [row] = await tx
          .insert(stockItems)
          .values({ sku, ...input })
          .onConflictDoNothing()
          .returning();
        if (row) {
          await this.announceIfLow(tx, null, row);
          return { stock: toView(row), created: true };
        }
        // Another request created it between our read and insert: lock theirs and update it.
        [current] = await lockCurrent();
        if (!current) throw new Error(`stock item ${sku} vanished while being set`);
      }
      if (current.productId !== input.productId) throw new ProductOfSkuChangedError(sku);
      if (input.quantity < current.reserved) throw new QuantityBelowReservedError(sku, current.reserved);
      const [row] = await tx
        .update(stockItems)
        .set({
          quantity: input.quantity,
          location: input.location,
          reorderPoint: input.reorderPoint,
          updatedAt: sql`now()`,
        })
        .where(eq(stockItems.sku, sku))
        .returning();
      await this.announceIfLow(tx, current, row!);
      return { stock: toView(row!), created: false };
    });
  }

  /** Publishes StockLow, in the same transaction, when this change made the item low. */
  announceIfLow(tx: Db, before: StockLevel | null, after: StockLowSource): Promise<void> {
    return this.announceAllIfLow(tx, [{ before, after }]);
  }

  /**
   * announceIfLow for many changes at once (a batch of reservations), in one statement:
   * each change that made its item low publishes one StockLow, in the context of the
   * caller it was made for.
   */
  async announceAllIfLow(tx: Db, changes: readonly StockChange[]): Promise<void> {
    const events = changes
      .filter(({ before, after }) => becameLow(before, after))
      .map(({ after, context }) => ({
        type: StockLow,
        payload: {
          sku: after.sku,
          productId: after.productId,
          available: after.quantity - after.reserved,
          reorderPoint: after.reorderPoint,
          location: after.location,
        },
        context,
      }));
    await this.outbox.publishAll(tx, events);
  }
}
