import { Inject, Injectable } from '@nestjs/common';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import type { ReservationView, StockLine } from '../contract.js';
import {
  OutOfStockError,
  ReservationCommittedError,
  ReservationNotFoundError,
  ReservationReleasedError,
} from '../domain/inventory-errors.js';
import { mergeLines, shortLines } from '../domain/reservation-lines.js';
import { reservations, stockItems } from './schema.js';
import { StockItemsRepository, type StockItemRow } from './stock-items.repository.js';

type ReservationRow = typeof reservations.$inferSelect;

function toView(row: ReservationRow): ReservationView {
  return { orderId: row.orderId, status: row.status, lines: row.lines, updatedAt: row.updatedAt.toISOString() };
}

/**
 * Reservations per order. Each command takes the order's reservation row first (an
 * insert that waits on a concurrent one for the same order), then the stock rows
 * in SKU order under FOR UPDATE, so a repeat for one order is answered from its row
 * and concurrent orders for one SKU queue instead of overselling.
 */
@Injectable()
export class ReservationsRepository {
  constructor(
    @Inject(MODULE_DATABASE) private readonly database: ModuleDatabase,
    private readonly stock: StockItemsRepository,
  ) {}

  reserve(orderId: string, requested: StockLine[]): Promise<ReservationView> {
    const lines = mergeLines(requested);
    return this.database.transaction(async (tx) => {
      const [created] = await tx
        .insert(reservations)
        .values({ orderId, status: 'RESERVED', lines })
        .onConflictDoNothing()
        .returning();
      if (!created) {
        const existing = await this.lockReservation(tx, orderId);
        if (existing.status === 'RELEASED') throw new ReservationReleasedError(orderId);
        return toView(existing);
      }
      const before = await this.lockStock(tx, lines);
      const available = new Map(before.map((row) => [row.sku, row.quantity - row.reserved]));
      const short = shortLines(requested, lines, available);
      if (short.length) throw new OutOfStockError(short); // rolls back the reservation row too
      const after = await this.adjust(tx, lines, { reserved: +1, quantity: 0 });
      for (const row of after) await this.stock.announceIfLow(tx, before.find((b) => b.sku === row.sku)!, row);
      return toView(created);
    });
  }

  release(orderId: string): Promise<ReservationView> {
    return this.database.transaction(async (tx) => {
      const [tombstone] = await tx
        .insert(reservations)
        .values({ orderId, status: 'RELEASED', lines: [] })
        .onConflictDoNothing()
        .returning();
      if (tombstone) return toView(tombstone);
      const existing = await this.lockReservation(tx, orderId);
      if (existing.status === 'RELEASED') return toView(existing);
      if (existing.status === 'COMMITTED') throw new ReservationCommittedError(orderId);
      await this.lockStock(tx, existing.lines);
      await this.adjust(tx, existing.lines, { reserved: -1, quantity: 0 });
      return toView(await this.setStatus(tx, orderId, 'RELEASED'));
    });
  }

  commit(orderId: string): Promise<ReservationView> {
    return this.database.transaction(async (tx) => {
      const [existing] = await tx.select().from(reservations).where(eq(reservations.orderId, orderId)).for('update');
      if (!existing || existing.status === 'RELEASED') throw new ReservationNotFoundError(orderId);
      if (existing.status === 'COMMITTED') return toView(existing);
      await this.lockStock(tx, existing.lines);
      // The units leave the shelf and the reservation together: what is available does not change.
      await this.adjust(tx, existing.lines, { reserved: -1, quantity: -1 });
      return toView(await this.setStatus(tx, orderId, 'COMMITTED'));
    });
  }

  async find(orderId: string): Promise<ReservationView | null> {
    const [row] = await this.database.db.select().from(reservations).where(eq(reservations.orderId, orderId));
    return row ? toView(row) : null;
  }

  private async lockReservation(tx: Db, orderId: string): Promise<ReservationRow> {
    const [row] = await tx.select().from(reservations).where(eq(reservations.orderId, orderId)).for('update');
    if (!row) throw new Error(`reservation of ${orderId} vanished`);
    return row;
  }

  private lockStock(tx: Db, lines: StockLine[]): Promise<StockItemRow[]> {
    if (lines.length === 0) return Promise.resolve([]);
    return tx
      .select()
      .from(stockItems)
      .where(inArray(stockItems.sku, lines.map((line) => line.sku)))
      .orderBy(asc(stockItems.sku))
      .for('update');
  }

  /** Moves `reserved` and `quantity` by ± each line's quantity, in one statement. */
  private adjust(tx: Db, lines: StockLine[], sign: { reserved: number; quantity: number }): Promise<StockItemRow[]> {
    if (lines.length === 0) return Promise.resolve([]);
    const skus = lines.map((line) => line.sku);
    const quantities = lines.map((line) => line.quantity);
    return tx
      .update(stockItems)
      .set({
        reserved: sql`${stockItems.reserved} + ${sign.reserved}::int * v.qty`,
        quantity: sql`${stockItems.quantity} + ${sign.quantity}::int * v.qty`,
        updatedAt: sql`now()`,
      })
      .from(sql`unnest(${sql.param(skus)}::text[], ${sql.param(quantities)}::int[]) AS v(sku, qty)`)
      .where(sql`${stockItems.sku} = v.sku`)
      .returning();
  }

  private async setStatus(tx: Db, orderId: string, status: 'RELEASED' | 'COMMITTED'): Promise<ReservationRow> {
    const [row] = await tx
      .update(reservations)
      .set({ status, updatedAt: sql`now()` })
      .where(eq(reservations.orderId, orderId))
      .returning();
    return row!;
  }
}
