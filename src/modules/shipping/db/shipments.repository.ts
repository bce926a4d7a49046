import { Inject, Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { OUTBOX, type Outbox } from '../../../platform/events/outbox.js';
import type { RequestContext } from '../../../platform/logging/request-context.js';
import { ShipmentCreated, type ShipmentView } from '../contract.js';
import { shipments } from './schema.js';

type Row = typeof shipments.$inferSelect;
export type NewShipment = Omit<typeof shipments.$inferInsert, 'id' | 'status' | 'createdAt'>;

/** A shipment to write, and the context of the call that asked for it (its event's correlation). */
export interface ShipmentToCreate {
  shipment: NewShipment;
  caller: RequestContext | undefined;
}

function toView(row: Row): ShipmentView {
  return {
    id: row.id,
    orderId: row.orderId,
    userId: row.userId,
    trackingNumber: row.trackingNumber,
    carrier: row.carrier,
    status: row.status as ShipmentView['status'],
    address: row.address,
    lines: row.lines,
    totalWeightGrams: row.totalWeightGrams,
    hazardous: row.hazardous,
    createdAt: row.createdAt.toISOString(),
  };
}

@Injectable()
export class ShipmentsRepository {
  constructor(
    @Inject(MODULE_DATABASE) private readonly database: ModuleDatabase,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {}

  /** Runs `work` in one transaction of the module's database. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.database.transaction(work);
  }

  async findById(id: string): Promise<ShipmentView | null> {
    const [row] = await this.database.db.select().from(shipments).where(eq(shipments.id, id));
    return row ? toView(row) : null;
  }

  /** The shipments of these orders, by order id (orders without one are absent), in one statement. */
  async findByOrderIds(orderIds: string[], executor: Db = this.database.db): Promise<Map<string, ShipmentView>> {
    if (orderIds.length === 0) return new Map();
    // One array parameter, so the statement's text is the same whatever the number of orders.
    const rows = await executor
      .select()
      .from(shipments)
      .where(sql`${shipments.orderId} = ANY(${sql.param(orderIds)}::uuid[])`);
    return new Map(rows.map((row) => [row.orderId, toView(row)]));
  }

  /**
   * Creates each order's one shipment in `tx`, with one multi-row insert and one
   * ShipmentCreated per row written, published in one statement; answers each order's
   * shipment by order id. The unique order_id decides against a concurrent transaction
   * (another instance's batch): our insert of that order does nothing (after waiting
   * for the other to commit), we read its row instead, and only the writer publishes.
   * `toCreate` must hold each order once.
   */
  async createEach(tx: Db, toCreate: ShipmentToCreate[]): Promise<Map<string, ShipmentView>> {
    if (toCreate.length === 0) return new Map();
    // Rows go in in order id order: two batches racing over the same orders then wait
    // for each other's rows in one order, and cannot deadlock.
    const ordered = [...toCreate].sort((a, b) => (a.shipment.orderId < b.shipment.orderId ? -1 : 1));
    const inserted = await tx
      .insert(shipments)
      .values(ordered.map(({ shipment }) => ({ ...shipment, status: 'CREATED' })))
      .onConflictDoNothing({ target: shipments.orderId })
      .returning();
    const callers = new Map(toCreate.map(({ shipment, caller }) => [shipment.orderId, caller]));
    await this.outbox.publishAll(
      tx,
      inserted.map((row) => ({
        type: ShipmentCreated,
        payload: {
          shipmentId: row.id,
          orderId: row.orderId,
          userId: row.userId,
          trackingNumber: row.trackingNumber,
          carrier: row.carrier,
        },
        context: callers.get(row.orderId),
      })),
    );
    const answers = new Map(inserted.map((row) => [row.orderId, toView(row)]));
    const conflicted = ordered.map(({ shipment }) => shipment.orderId).filter((orderId) => !answers.has(orderId));
    if (conflicted.length > 0) {
      // Read Committed: this new statement sees the rows the conflicting transactions committed.
      const theirs = await this.findByOrderIds(conflicted, tx);
      for (const orderId of conflicted) {
        const existing = theirs.get(orderId);
        if (!existing) throw new Error(`shipment of order ${orderId} conflicted but cannot be read`);
        answers.set(orderId, existing);
      }
    }
    return answers;
  }
}
