import { Inject, Injectable } from '@nestjs/common';
import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import { MODULE_DATABASE, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { OUTBOX, type Outbox } from '../../../platform/events/outbox.js';
import type { Money } from '../../../platform/contracts/index.js';
import type { ShippingAddress } from '../../shipping/contract.js';
import { OrderPlaced, type CancellationReason, type OrderLineView, type OrderStatus } from '../contract.js';
import type { OrderView } from '../order-view.js';
import type { SagaRow } from './checkout-sagas.repository.js';
import { checkoutSagas, orderLines, orders } from './schema.js';

type OrderRow = typeof orders.$inferSelect;
type LineRow = typeof orderLines.$inferSelect;

export function toOrderView(row: OrderRow, lines: LineRow[]): OrderView {
  return {
    id: row.id,
    userId: row.userId,
    status: row.status as OrderStatus,
    cancellationReason: row.cancellationReason as CancellationReason | null,
    lines: lines.map(toLineView),
    total: { amount: row.totalAmount, currency: row.currency },
    shippingAddress: row.shippingAddress,
    shipment: row.shipmentId && row.trackingNumber ? { id: row.shipmentId, trackingNumber: row.trackingNumber } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function toLineView(line: LineRow): OrderLineView {
  return {
    productId: line.productId,
    sku: line.sku,
    quantity: line.quantity,
    unitPrice: { amount: line.unitAmount, currency: line.currency },
    productName: line.productName,
  };
}

export interface NewOrder {
  id: string;
  userId: string;
  idempotencyKey: string;
  requestHash: string;
  lines: OrderLineView[];
  total: Money;
  shippingAddress: ShippingAddress;
  paymentToken: string;
  /** The process that will drive the new order's saga: it holds the lease from the start. */
  sagaOwner: { owner: string; leaseMs: number };
}

/** What the checkout saga needs of an order, card token included (never shown to anyone). */
export interface OrderForCheckout extends OrderView {
  paymentToken: string;
}

@Injectable()
export class OrdersRepository {
  constructor(
    @Inject(MODULE_DATABASE) private readonly database: ModuleDatabase,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {}

  /**
   * Stores a new order, its lines, its saga (about to reserve stock) and OrderPlaced,
   * in one transaction. The (user, Idempotency-Key) unique key decides between
   * concurrent requests with one key: the loser gets `created: false` and the
   * winner's order.
   */
  async place(order: NewOrder): Promise<{ created: boolean; row: OrderRow; view: OrderView; saga?: SagaRow }> {
    const created = await this.database.transaction(async (tx) => {
      const [row] = await tx
        .insert(orders)
        .values({
          id: order.id,
          userId: order.userId,
          status: 'PENDING',
          totalAmount: order.total.amount,
          currency: order.total.currency,
          shippingAddress: order.shippingAddress,
          paymentToken: order.paymentToken,
          idempotencyKey: order.idempotencyKey,
          requestHash: order.requestHash,
        })
        .onConflictDoNothing({ target: [orders.userId, orders.idempotencyKey] })
        .returning();
      if (!row) return undefined;
      const lines = await tx
        .insert(orderLines)
        .values(
          order.lines.map((line, index) => ({
            orderId: row.id,
            lineNo: index + 1,
            productId: line.productId,
            sku: line.sku,
            quantity: line.quantity,
            unitAmount: line.unitPrice.amount,
            currency: line.unitPrice.currency,
            productName: line.productName,
          })),
        )
        .returning();
      // Born leased to this process and with its first step begun, so the saga starts without a write of its own.
      const [saga] = await tx
        .insert(checkoutSagas)
        .values({
          orderId: row.id,
          state: 'RESERVING_STOCK',
          startedSteps: ['reserve'],
          stepStartedAt: sql`now()`,
          leaseOwner: order.sagaOwner.owner,
          leaseUntil: sql`now() + ${order.sagaOwner.leaseMs}::int * interval '1 millisecond'`,
        })
        .returning();
      await this.outbox.publish(tx, OrderPlaced, {
        orderId: row.id,
        userId: row.userId,
        lines: order.lines,
        total: order.total,
        placedAt: row.createdAt.toISOString(),
      });
      return { row, view: toOrderView(row, lines), saga: saga as SagaRow };
    });
    if (created) return { created: true, ...created };
    const existing = await this.findByKey(order.userId, order.idempotencyKey);
    if (!existing) throw new Error('an order with this idempotency key vanished');
    return { created: false, ...existing };
  }

  async findByKey(userId: string, key: string): Promise<{ row: OrderRow; view: OrderView } | null> {
    const [row] = await this.database.db
      .select()
      .from(orders)
      .where(and(eq(orders.userId, userId), eq(orders.idempotencyKey, key)));
    return row ? { row, view: toOrderView(row, await this.linesOf(row.id)) } : null;
  }

  async findById(orderId: string): Promise<OrderView | null> {
    const [row] = await this.database.db.select().from(orders).where(eq(orders.id, orderId));
    return row ? toOrderView(row, await this.linesOf(row.id)) : null;
  }

  async findForCheckout(orderId: string): Promise<OrderForCheckout | null> {
    const [row] = await this.database.db.select().from(orders).where(eq(orders.id, orderId));
    return row ? { ...toOrderView(row, await this.linesOf(row.id)), paymentToken: row.paymentToken } : null;
  }

  /** A customer's orders, newest first. */
  async pageOf(userId: string, page: number, pageSize: number): Promise<{ items: OrderView[]; total: number }> {
    const [rows, totals] = await Promise.all([
      this.database.db
        .select()
        .from(orders)
        .where(eq(orders.userId, userId))
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(pageSize)
        .offset((page - 1) * pageSize),
      this.database.db.select({ total: count() }).from(orders).where(eq(orders.userId, userId)),
    ]);
    const total = totals[0]?.total ?? 0;
    const lines = rows.length
      ? await this.database.db
          .select()
          .from(orderLines)
          .where(inArray(orderLines.orderId, rows.map((r) => r.id)))
          .orderBy(asc(orderLines.lineNo))
      : [];
    return { items: rows.map((row) => toOrderView(row, lines.filter((l) => l.orderId === row.id))), total };
  }

  private linesOf(orderId: string): Promise<LineRow[]> {
    return this.database.db.select().from(orderLines).where(eq(orderLines.orderId, orderId)).orderBy(asc(orderLines.lineNo));
  }
}
