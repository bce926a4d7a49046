import { Inject, Injectable } from '@nestjs/common';
import { and, eq, sql } from 'drizzle-orm';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { OUTBOX, type Outbox } from '../../../platform/events/outbox.js';
import type { Money } from '../../../platform/contracts/index.js';
import { PaymentCompleted, PaymentFailed, PaymentRefunded, type PaymentStatus, type PaymentView } from '../contract.js';
import type { ChargeResult } from '../provider/payment-provider.js';
import { payments } from './schema.js';

export type PaymentRow = typeof payments.$inferSelect;

export interface ChargeRequestOfOrder {
  orderId: string;
  paymentId: string;
  userId: string;
  amount: Money;
  paymentToken: string;
}

/** A VOIDED tombstone knows no user or amount; the view shows them empty. */
export function toPaymentView(row: PaymentRow): PaymentView {
  return {
    orderId: row.orderId,
    paymentId: row.paymentId,
    userId: row.userId ?? '',
    status: row.status as PaymentStatus,
    amount: { amount: row.amount ?? 0, currency: row.currency ?? '' },
    declineReason: row.declineReason,
    providerReference: row.providerReference,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The charge request recorded on a (non-VOIDED) row. */
export function chargeRequestOf(row: PaymentRow): { userId: string; amount: Money; paymentToken: string } {
  if (row.userId === null || row.amount === null || row.currency === null || row.paymentToken === null) {
    throw new Error(`payment of order ${row.orderId} (${row.status}) records no charge request`);
  }
  return { userId: row.userId, amount: { amount: row.amount, currency: row.currency }, paymentToken: row.paymentToken };
}

/**
 * Every state change is conditional on the state it leaves (PENDING → settled,
 * COMPLETED → REFUNDED), so of any number of concurrent writers exactly one moves
 * the row and publishes; the others read what it wrote.
 */
@Injectable()
export class PaymentsRepository {
  constructor(
    @Inject(MODULE_DATABASE) private readonly database: ModuleDatabase,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {}

  async find(orderId: string): Promise<PaymentRow | null> {
    const [row] = await this.database.db.select().from(payments).where(eq(payments.orderId, orderId)).limit(1);
    return row ?? null;
  }

  /** Claims the order for one payment, committed before the provider is asked; null when the order has a row already. */
  async insertPending(request: ChargeRequestOfOrder): Promise<PaymentRow | null> {
    const [row] = await this.database.db
      .insert(payments)
      .values({
        orderId: request.orderId,
        paymentId: request.paymentId,
        status: 'PENDING',
        userId: request.userId,
        amount: request.amount.amount,
        currency: request.amount.currency,
        paymentToken: request.paymentToken,
      })
      .onConflictDoNothing({ target: payments.orderId })
      .returning();
    return row ?? null;
  }

  /** A refund came before any payment: the tombstone makes a late charge of the order impossible. */
  async insertVoided(orderId: string, paymentId: string): Promise<PaymentRow | null> {
    const [row] = await this.database.db
      .insert(payments)
      .values({ orderId, paymentId, status: 'VOIDED' })
      .onConflictDoNothing({ target: payments.orderId })
      .returning();
    return row ?? null;
  }

  /** Records the provider's answer to a PENDING payment's charge and announces it; returns the row as it now stands. */
  async recordCharge(orderId: string, result: ChargeResult): Promise<PaymentRow> {
    return this.database.transaction(async (tx) => {
      const [row] = await tx
        .update(payments)
        .set(
          result.outcome === 'charged'
            ? { status: 'COMPLETED', providerReference: result.chargeId, updatedAt: sql`now()` }
            : { status: 'DECLINED', declineReason: result.reason, updatedAt: sql`now()` },
        )
        .where(and(eq(payments.orderId, orderId), eq(payments.status, 'PENDING')))
        .returning();
      if (!row) return this.current(tx, orderId);
      const { userId, amount } = chargeRequestOf(row);
      const fact = { orderId, userId, paymentId: row.paymentId, amount };
      if (result.outcome === 'charged') await this.outbox.publish(tx, PaymentCompleted, fact);
      else await this.outbox.publish(tx, PaymentFailed, { ...fact, reason: result.reason });
      return row;
    });
  }

  /** Records the refund of a COMPLETED payment and announces it; returns the row as it now stands. */
  async recordRefund(orderId: string, refundId: string): Promise<PaymentRow> {
    return this.database.transaction(async (tx) => {
      const [row] = await tx
        .update(payments)
        .set({ status: 'REFUNDED', refundReference: refundId, updatedAt: sql`now()` })
        .where(and(eq(payments.orderId, orderId), eq(payments.status, 'COMPLETED')))
        .returning();
      if (!row) return this.current(tx, orderId);
      const { userId, amount } = chargeRequestOf(row);
      await this.outbox.publish(tx, PaymentRefunded, { orderId, userId, paymentId: row.paymentId, amount });
      return row;
    });
  }

  private async current(tx: Db, orderId: string): Promise<PaymentRow> {
    const [row] = await tx.select().from(payments).where(eq(payments.orderId, orderId));
    if (!row) throw new Error(`payment of order ${orderId} vanished`);
    return row;
  }
}
