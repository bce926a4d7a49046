import { Inject, Injectable } from '@nestjs/common';
import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import { GroupCommit, succeeded, type ItemOutcome } from '../../../platform/database/group-commit.js';
import { MODULE_DATABASE, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { OUTBOX, type Outbox } from '../../../platform/events/outbox.js';
import type { RequestContext } from '../../../platform/logging/request-context.js';
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

type Placed = { row: OrderRow; view: OrderView; saga: SagaRow };

const keyOf = (order: NewOrder): string => `${order.userId}\u0000${order.idempotencyKey}`;
const byKey = (a: NewOrder, b: NewOrder): number => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);

@Injectable()
export class OrdersRepository {
  // Orders placed together are stored together: one transaction, one statement per
  // table, for every order of the batch (see GroupCommit).
  private readonly placements = new GroupCommit<NewOrder, Placed | null>({
    name: 'order placement',
    run: (batch, callers) => this.placeAll(batch, callers),
  });

  private readonly keyLookups = new GroupCommit<{ userId: string; key: string }, OrderRow | null>({
    name: 'order lookup by idempotency key',
    run: (asked) => this.findAllByKey(asked),
  });

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
    const created = await this.placements.submit(order);
    if (created) return { created: true, ...created };
    const existing = await this.findByKey(order.userId, order.idempotencyKey);
    if (!existing) throw new Error('an order with this idempotency key vanished');
    return { created: false, ...existing };
  }

  /** Null for an order whose (user, key) was taken, by an earlier request or by one earlier in the batch. */
  private placeAll(batch: NewOrder[], callers: (RequestContext | undefined)[]): Promise<ItemOutcome<Placed | null>[]> {
    return this.database.transaction(async (tx) => {
      const rows = await tx
        .insert(orders)
        .values(
          // In key order, so two processes inserting overlapping keys wait rather than deadlock.
          [...batch].sort(byKey).map((order) => ({
            id: order.id,
            userId: order.userId,
            status: 'PENDING',
            totalAmount: order.total.amount,
            currency: order.total.currency,
            shippingAddress: order.shippingAddress,
            paymentToken: order.paymentToken,
            idempotencyKey: order.idempotencyKey,
            requestHash: order.requestHash,
          })),
        )
        .onConflictDoNothing({ target: [orders.userId, orders.idempotencyKey] })
        .returning();
      const rowOf = new Map(rows.map((row) => [row.id, row]));
      const created = batch.filter((order) => rowOf.has(order.id));
      if (created.length === 0) return batch.map(() => succeeded(null));
      const lines = await tx
        .insert(orderLines)
        .values(
          created.flatMap((order) =>
            order.lines.map((line, index) => ({
              orderId: order.id,
              lineNo: index + 1,
              productId: line.productId,
              sku: line.sku,
              quantity: line.quantity,
              unitAmount: line.unitPrice.amount,
              currency: line.unitPrice.currency,
              productName: line.productName,
            })),
          ),
        )
        .returning();
      // Born leased to this process and with its first step begun, so the saga starts without a write of its own.
      const sagas = (await tx
        .insert(checkoutSagas)
        .values(
          created.map((order) => ({
            orderId: order.id,
            state: 'RESERVING_STOCK',
            startedSteps: ['reserve'],
            stepStartedAt: sql`now()`,
            leaseOwner: order.sagaOwner.owner,
            leaseUntil: sql`now() + ${order.sagaOwner.leaseMs}::int * interval '1 millisecond'`,
          })),
        )
        .returning()) as SagaRow[];
      await this.outbox.publishAll(
        tx,
        created.map((order) => ({
          type: OrderPlaced,
          payload: {
            orderId: order.id,
            userId: order.userId,
            lines: order.lines,
            total: order.total,
            placedAt: rowOf.get(order.id)!.createdAt.toISOString(),
          },
          context: callers[batch.indexOf(order)],
        })),
      );
      return batch.map((order) => {
        const row = rowOf.get(order.id);
        if (!row) return succeeded(null);
        const view = toOrderView(
          row,
          lines.filter((line) => line.orderId === row.id),
        );
        return succeeded({ row, view, saga: sagas.find((saga) => saga.orderId === row.id)! });
      });
    });
  }

  async findByKey(userId: string, key: string): Promise<{ row: OrderRow; view: OrderView } | null> {
    const row = await this.keyLookups.submit({ userId, key });
    return row ? { row, view: toOrderView(row, await this.linesOf(row.id)) } : null;
  }

  /** The orders of many (user, Idempotency-Key) pairs in one query: every POST asks first. */
  private async findAllByKey(asked: { userId: string; key: string }[]): Promise<ItemOutcome<OrderRow | null>[]> {
    const rows = await this.database.db
      .select()
      .from(orders)
      .where(
        sql`(${orders.userId}, ${orders.idempotencyKey}) IN
              (SELECT * FROM unnest(${sql.param(asked.map((a) => a.userId))}::uuid[], ${sql.param(asked.map((a) => a.key))}::text[]))`,
      );
    return asked.map(({ userId, key }) =>
      succeeded(rows.find((row) => row.userId === userId.toLowerCase() && row.idempotencyKey === key) ?? null),
    );
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
