import { Inject, Injectable } from '@nestjs/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { failed, GroupCommit, succeeded, type ItemOutcome } from '../../../platform/database/group-commit.js';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { OUTBOX, type Outbox, type PublishedEvent } from '../../../platform/events/outbox.js';
import type { Money } from '../../../platform/contracts/index.js';
import type { RequestContext } from '../../../platform/logging/request-context.js';
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

/** The provider's answer to one payment's charge, waiting to be recorded. */
interface ChargeAnswer {
  orderId: string;
  result: ChargeResult;
}

/**
 * Every state change is conditional on the state it leaves (PENDING → settled,
 * COMPLETED → REFUNDED), so of any number of concurrent writers exactly one moves
 * the row and publishes; the others read what it wrote.
 *
 * The two writes every charge makes (claiming the order, recording the provider's
 * answer) are group-committed: the calls that arrive while one batch runs are written
 * together in the next, one statement for all their claims and one transaction for all
 * their answers, each caller still getting exactly what it would have got alone.
 */
@Injectable()
export class PaymentsRepository {
  private readonly claims = new GroupCommit<ChargeRequestOfOrder, PaymentRow | null>({
    name: 'payments.insertPending',
    run: (requests) => this.insertPendingAll(requests),
  });
  private readonly answers = new GroupCommit<ChargeAnswer, PaymentRow>({
    name: 'payments.recordCharge',
    run: (answers, callers) => this.recordChargeAll(answers, callers),
  });

  constructor(
    @Inject(MODULE_DATABASE) private readonly database: ModuleDatabase,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {}

  async find(orderId: string): Promise<PaymentRow | null> {
    const [row] = await this.database.db.select().from(payments).where(eq(payments.orderId, orderId)).limit(1);
    return row ?? null;
  }

  /** Claims the order for one payment, committed before the provider is asked; null when the order has a row already. */
  insertPending(request: ChargeRequestOfOrder): Promise<PaymentRow | null> {
    // Batches match rows to callers by order id, and PostgreSQL answers uuids in lower case.
    return this.claims.submit({ ...request, orderId: request.orderId.toLowerCase() });
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
  recordCharge(orderId: string, result: ChargeResult): Promise<PaymentRow> {
    return this.answers.submit({ orderId: orderId.toLowerCase(), result });
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

  /**
   * One multi-row INSERT … ON CONFLICT DO NOTHING for the batch's claims. Only the
   * first claim of an order is offered: a later one in the same batch answers null,
   * as it would had it come after the first committed (its caller then finds the
   * first's row). Rows go in order-id order, so two such inserts racing on the same
   * orders (two instances of the shop) wait for each other instead of deadlocking.
   */
  private async insertPendingAll(requests: ChargeRequestOfOrder[]): Promise<ItemOutcome<PaymentRow | null>[]> {
    const firsts = firstPerOrder(requests);
    const offered = [...firsts.keys()].sort().map((orderId) => requests[firsts.get(orderId)!]!);
    const rows = await this.database.db
      .insert(payments)
      .values(
        offered.map((request) => ({
          orderId: request.orderId,
          paymentId: request.paymentId,
          status: 'PENDING',
          userId: request.userId,
          amount: request.amount.amount,
          currency: request.amount.currency,
          paymentToken: request.paymentToken,
        })),
      )
      .onConflictDoNothing({ target: payments.orderId })
      .returning();
    const claimed = new Map(rows.map((row) => [row.orderId, row]));
    return requests.map((request, i) =>
      succeeded(firsts.get(request.orderId) === i ? (claimed.get(request.orderId) ?? null) : null),
    );
  }

  /**
   * The batch's answers in one transaction: one multi-row UPDATE of the rows still
   * PENDING, one read of the rows it did not move, one outbox write of their events.
   * As with one call, only a PENDING row is settled; the first answer of an order in
   * the batch is the one offered, and a later one reads the row as the first left it,
   * as it would had it come after the first committed.
   */
  private recordChargeAll(answers: ChargeAnswer[], callers: (RequestContext | undefined)[]): Promise<ItemOutcome<PaymentRow>[]> {
    const firsts = firstPerOrder(answers);
    // In order-id order, the order in which the rows are locked on a plain index lookup.
    const offered = [...firsts.keys()].sort().map((orderId) => answers[firsts.get(orderId)!]!);
    const charged = (answer: ChargeAnswer) => (answer.result.outcome === 'charged' ? answer.result.chargeId : null);
    const declined = (answer: ChargeAnswer) => (answer.result.outcome === 'declined' ? answer.result.reason : null);
    return this.database.transaction(async (tx) => {
      const settled = (await tx
        .update(payments)
        .set({
          status: sql`v.status`,
          providerReference: sql`COALESCE(v.provider_reference, ${payments.providerReference})`,
          declineReason: sql`COALESCE(v.decline_reason, ${payments.declineReason})`,
          updatedAt: sql`now()`,
        })
        .from(
          sql`unnest(${sql.param(offered.map((a) => a.orderId))}::uuid[],
                     ${sql.param(offered.map((a) => (a.result.outcome === 'charged' ? 'COMPLETED' : 'DECLINED')))}::text[],
                     ${sql.param(offered.map(charged))}::text[],
                     ${sql.param(offered.map(declined))}::text[]) AS v(order_id, status, provider_reference, decline_reason)`,
        )
        .where(sql`${payments.orderId} = v.order_id AND ${payments.status} = 'PENDING'`)
        .returning()) as PaymentRow[];
      const moved = new Map(settled.map((row) => [row.orderId, row]));
      const unmoved = offered.map((a) => a.orderId).filter((orderId) => !moved.has(orderId));
      const others = unmoved.length ? await tx.select().from(payments).where(inArray(payments.orderId, unmoved)) : [];
      const standing = new Map([...others, ...settled].map((row) => [row.orderId, row]));

      const events: PublishedEvent[] = [];
      const outcomes = answers.map((answer, i): ItemOutcome<PaymentRow> => {
        const row = standing.get(answer.orderId);
        if (!row) return failed(new Error(`payment of order ${answer.orderId} vanished`));
        if (firsts.get(answer.orderId) !== i || !moved.has(answer.orderId)) return succeeded(row);
        const { userId, amount } = chargeRequestOf(row);
        const fact = { orderId: answer.orderId, userId, paymentId: row.paymentId, amount };
        events.push(
          answer.result.outcome === 'charged'
            ? { type: PaymentCompleted, payload: fact, context: callers[i] }
            : { type: PaymentFailed, payload: { ...fact, reason: answer.result.reason }, context: callers[i] },
        );
        return succeeded(row);
      });
      await this.outbox.publishAll(tx, events);
      return outcomes;
    });
  }

  private async current(tx: Db, orderId: string): Promise<PaymentRow> {
    const [row] = await tx.select().from(payments).where(eq(payments.orderId, orderId));
    if (!row) throw new Error(`payment of order ${orderId} vanished`);
    return row;
  }
}

/** Each order's first item in the batch: order id → its index. */
function firstPerOrder(items: readonly { orderId: string }[]): Map<string, number> {
  const firsts = new Map<string, number>();
  items.forEach((item, i) => {
    if (!firsts.has(item.orderId)) firsts.set(item.orderId, i);
  });
  return firsts;
}
