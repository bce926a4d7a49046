import { Inject, Injectable } from '@nestjs/common';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { failed, GroupCommit, succeeded, type ItemOutcome } from '../../../platform/database/group-commit.js';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { preparedStatement } from '../../../platform/database/prepared-statement.js';
import type { RequestContext } from '../../../platform/logging/request-context.js';
import type { ReservationView, StockLine } from '../contract.js';
import {
  OutOfStockError,
  ReservationCommittedError,
  ReservationNotFoundError,
  ReservationReleasedError,
} from '../domain/inventory-errors.js';
import { mergeLines, shortLines } from '../domain/reservation-lines.js';
import { reservations, stockItems } from './schema.js';
import { StockItemsRepository, type StockChange, type StockItemRow, type StockLowSource } from './stock-items.repository.js';

type ReservationRow = Pick<typeof reservations.$inferSelect, 'orderId' | 'status' | 'lines' | 'updatedAt'>;

function toView(row: ReservationRow): ReservationView {
  return { orderId: row.orderId, status: row.status, lines: row.lines, updatedAt: new Date(row.updatedAt).toISOString() };
}

/** Postgres spells a uuid in lower case: two spellings of one order id are one order. */
const keyOf = (orderId: string) => orderId.toLowerCase();

const RESERVATION_COLUMNS = `order_id AS "orderId", status, lines, updated_at AS "updatedAt"`;

/**
 * Claims the reservation row of each new order, in order-id order (the order every
 * batch takes reservation rows in). A concurrent claim of the same order, from a
 * release or another process, makes this wait for it, then skips the order.
 */
const claimReservations = preparedStatement(
  'inventory_claim_reservations',
  `INSERT INTO inventory.reservations (order_id, status, lines)
   SELECT v.order_id, 'RESERVED', v.lines FROM unnest($1::uuid[], $2::jsonb[]) AS v(order_id, lines) ORDER BY v.order_id
   ON CONFLICT (order_id) DO NOTHING
   RETURNING ${RESERVATION_COLUMNS}`,
);

const lockReservations = preparedStatement(
  'inventory_lock_reservations',
  `SELECT ${RESERVATION_COLUMNS} FROM inventory.reservations
   WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE`,
);

/** Claims whose reservation was refused: the row goes, as a rolled-back insert would. */
const dropClaims = preparedStatement(
  'inventory_drop_reservation_claims',
  `DELETE FROM inventory.reservations WHERE order_id = ANY($1::uuid[])`,
);

/** A claim reserved by a later request of the same order than the one that claimed it. */
const rewriteLines = preparedStatement(
  'inventory_rewrite_reservation_lines',
  `UPDATE inventory.reservations r SET lines = v.lines
   FROM unnest($1::uuid[], $2::jsonb[]) AS v(order_id, lines) WHERE r.order_id = v.order_id`,
);

const markCommitted = preparedStatement(
  'inventory_mark_reservations_committed',
  `UPDATE inventory.reservations SET status = 'COMMITTED', updated_at = now()
   WHERE order_id = ANY($1::uuid[]) RETURNING ${RESERVATION_COLUMNS}`,
);

/** Always in SKU order: every writer of stock rows locks them in that order, so none deadlock. */
const lockStockRows = preparedStatement(
  'inventory_lock_stock_rows',
  `SELECT sku, product_id AS "productId", quantity, reserved, location, reorder_point AS "reorderPoint"
   FROM inventory.stock_items WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
);

/** Every stock change of a batch in one statement: each SKU's `reserved` and `quantity` move by the net of its lines. */
const moveStock = preparedStatement(
  'inventory_move_stock',
  `UPDATE inventory.stock_items s
   SET reserved = s.reserved + v.reserved, quantity = s.quantity + v.quantity, updated_at = now()
   FROM unnest($1::text[], $2::int[], $3::int[]) AS v(sku, reserved, quantity) WHERE s.sku = v.sku`,
);

interface ReserveRequest {
  orderId: string;
  requested: StockLine[];
  /** `requested` merged per SKU, in SKU order. */
  lines: StockLine[];
}

/**
 * Reservations per order. Each command takes the order's reservation row first (an
 * insert that waits on a concurrent one for the same order), then the stock rows
 * in SKU order under FOR UPDATE, so a repeat for one order is answered from its row
 * and concurrent orders for one SKU queue instead of overselling.
 *
 * Reserving and committing are group-committed (see GroupCommit): the calls that
 * arrive while a batch runs go together in one transaction with one statement per
 * kind of write, and each gets the answer it would have had alone, as if the batch's
 * calls had run one after the other in the order they were made.
 */
@Injectable()
export class ReservationsRepository {
  private readonly reserving = new GroupCommit<ReserveRequest, ReservationView>({
    name: 'inventory.reserve',
    run: (items, callers) => this.reserveAll(items, callers),
  });
  private readonly committing = new GroupCommit<string, ReservationView>({
    name: 'inventory.commit',
    run: (orderIds) => this.commitAll(orderIds),
  });

  constructor(
    @Inject(MODULE_DATABASE) private readonly database: ModuleDatabase,
    private readonly stock: StockItemsRepository,
  ) {}

  reserve(orderId: string, requested: StockLine[]): Promise<ReservationView> {
    return this.reserving.submit({ orderId, requested, lines: mergeLines(requested) });
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
    return this.committing.submit(orderId);
  }

  async find(orderId: string): Promise<ReservationView | null> {
    const [row] = await this.database.db.select().from(reservations).where(eq(reservations.orderId, orderId));
    return row ? toView(row) : null;
  }

  /**
   * One batch of reservations. Every order new to the table gets its row claimed
   * first (the claim is what makes a concurrent reservation of the same order wait);
   * the rows of the others are locked and answer their repeats. Then the stock rows
   * of every SKU the new orders ask for are locked, and each request is decided in
   * memory in the order it was made, on the stock the earlier ones left: all its
   * lines or none. Refused orders lose their claim; all stock moves in one statement.
   */
  private reserveAll(items: ReserveRequest[], callers: (RequestContext | undefined)[]): Promise<ItemOutcome<ReservationView>[]> {
    return this.database.transaction(async (tx) => {
      const firstOf = new Map<string, ReserveRequest>();
      for (const item of items) if (!firstOf.has(keyOf(item.orderId))) firstOf.set(keyOf(item.orderId), item);
      const firsts = [...firstOf.values()];
      const claimed = await claimReservations.run<ReservationRow>(tx, [
        firsts.map((item) => item.orderId),
        firsts.map((item) => JSON.stringify(item.lines)),
      ]);
      const claims = new Map(claimed.map((row) => [keyOf(row.orderId), row]));
      const others = [...firstOf.keys()].filter((key) => !claims.has(key));
      /** What each order's reservation is by now: answers a repeat. Claimed orders enter once reserved. */
      const current = new Map<string, ReservationRow>();
      if (others.length) {
        for (const row of await lockReservations.run<ReservationRow>(tx, [others])) current.set(keyOf(row.orderId), row);
      }

      // Every request of a claimed order may be the one that reserves it, so all their SKUs.
      const wanted = new Set(
        items.filter((item) => claims.has(keyOf(item.orderId))).flatMap((item) => item.lines.map((line) => line.sku)),
      );
      const levels = new Map<string, StockLowSource>();
      if (wanted.size) {
        for (const row of await lockStockRows.run<StockLowSource>(tx, [[...wanted]])) levels.set(row.sku, row);
      }

      const taken = new Map<string, number>();
      const lows: StockChange[] = [];
      /** The request that reserved each claimed order, when it was not the one whose lines were claimed. */
      const rewritten = new Map<string, ReserveRequest>();
      const outcomes = items.map((item, i): ItemOutcome<ReservationView> => {
        const key = keyOf(item.orderId);
        const existing = current.get(key);
        if (existing) {
          if (existing.status === 'RELEASED') return failed(new ReservationReleasedError(item.orderId));
          return succeeded(toView(existing));
        }
        const claim = claims.get(key);
        if (!claim) throw new Error(`reservation of ${item.orderId} vanished`);
        const available = new Map(
          item.lines.flatMap((line) => {
            const level = levels.get(line.sku);
            return level ? [[line.sku, level.quantity - level.reserved] as const] : [];
          }),
        );
        const short = shortLines(item.requested, item.lines, available);
        if (short.length) return failed(new OutOfStockError(short));
        for (const line of item.lines) {
          const before = levels.get(line.sku)!;
          const after = { ...before, reserved: before.reserved + line.quantity };
          levels.set(line.sku, after);
          taken.set(line.sku, (taken.get(line.sku) ?? 0) + line.quantity);
          lows.push({ before, after, context: callers[i] });
        }
        if (item !== firstOf.get(key)) rewritten.set(key, item);
        const reservation = { ...claim, lines: item.lines };
        current.set(key, reservation);
        return succeeded(toView(reservation));
      });

      const refused = [...claims.keys()].filter((key) => !current.has(key));
      if (refused.length) await dropClaims.run(tx, [refused]);
      if (rewritten.size) {
        const requests = [...rewritten.values()];
        await rewriteLines.run(tx, [requests.map((item) => item.orderId), requests.map((item) => JSON.stringify(item.lines))]);
      }
      if (taken.size) {
        await moveStock.run(tx, [[...taken.keys()], [...taken.values()], [...taken.values()].map(() => 0)]);
      }
      await this.stock.announceAllIfLow(tx, lows);
      return outcomes;
    });
  }

  /**
   * One batch of commits: the reservation rows locked in order-id order, then the
   * stock rows in SKU order; the units of every RESERVED one leave the shelf and the
   * reservation together (one statement), and they become COMMITTED (one more).
   */
  private commitAll(orderIds: string[]): Promise<ItemOutcome<ReservationView>[]> {
    return this.database.transaction(async (tx) => {
      const keys = [...new Set(orderIds.map(keyOf))];
      const current = new Map<string, ReservationRow>();
      for (const row of await lockReservations.run<ReservationRow>(tx, [keys])) current.set(keyOf(row.orderId), row);

      const toCommit = [...current.values()].filter((row) => row.status === 'RESERVED');
      if (toCommit.length) {
        const leaving = new Map<string, number>();
        for (const line of toCommit.flatMap((row) => row.lines)) {
          leaving.set(line.sku, (leaving.get(line.sku) ?? 0) + line.quantity);
        }
        await lockStockRows.run(tx, [[...leaving.keys()]]);
        // What is available does not change: quantity and reserved drop together.
        const down = [...leaving.values()].map((quantity) => -quantity);
        await moveStock.run(tx, [[...leaving.keys()], down, down]);
        const committed = await markCommitted.run<ReservationRow>(tx, [toCommit.map((row) => row.orderId)]);
        for (const row of committed) current.set(keyOf(row.orderId), row);
      }

      return orderIds.map((orderId) => {
        const row = current.get(keyOf(orderId));
        if (!row || row.status === 'RELEASED') return failed(new ReservationNotFoundError(orderId));
        return succeeded(toView(row));
      });
    });
  }

  private async lockReservation(tx: Db, orderId: string): Promise<typeof reservations.$inferSelect> {
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

  private async setStatus(tx: Db, orderId: string, status: 'RELEASED' | 'COMMITTED'): Promise<typeof reservations.$inferSelect> {
    const [row] = await tx
      .update(reservations)
      .set({ status, updatedAt: sql`now()` })
      .where(eq(reservations.orderId, orderId))
      .returning();
    return row!;
  }
}
