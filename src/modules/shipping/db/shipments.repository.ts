import { Inject, Injectable } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { MODULE_DATABASE, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { OUTBOX, type Outbox } from '../../../platform/events/outbox.js';
import { ShipmentCreated, type ShipmentView } from '../contract.js';
import { shipments } from './schema.js';

type Row = typeof shipments.$inferSelect;
export type NewShipment = Omit<typeof shipments.$inferInsert, 'id' | 'status' | 'createdAt'>;

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

  async findById(id: string): Promise<ShipmentView | null> {
    const [row] = await this.database.db.select().from(shipments).where(eq(shipments.id, id));
    return row ? toView(row) : null;
  }

  async findByOrderId(orderId: string): Promise<ShipmentView | null> {
    const [row] = await this.database.db.select().from(shipments).where(eq(shipments.orderId, orderId));
    return row ? toView(row) : null;
  }

  /**
   * Creates the order's one shipment, or answers the one that exists. The unique
   * order_id decides between concurrent callers: the loser's insert does nothing
   * (after waiting for the winner to commit) and it reads the winner's row. Only the
   * insert that happened publishes ShipmentCreated, in its own transaction.
   */
  async createOnce(shipment: NewShipment): Promise<ShipmentView> {
    return this.database.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(shipments)
        .values({ ...shipment, status: 'CREATED' })
        .onConflictDoNothing({ target: shipments.orderId })
        .returning();
      if (inserted) {
        await this.outbox.publish(tx, ShipmentCreated, {
          shipmentId: inserted.id,
          orderId: inserted.orderId,
          userId: inserted.userId,
          trackingNumber: inserted.trackingNumber,
          carrier: inserted.carrier,
        });
        return toView(inserted);
      }
      // Read Committed: this new statement sees the row the conflicting transaction committed.
      const [existing] = await tx.select().from(shipments).where(eq(shipments.orderId, shipment.orderId));
      if (!existing) throw new Error(`shipment of order ${shipment.orderId} conflicted but cannot be read`);
      return toView(existing);
    });
  }
}
