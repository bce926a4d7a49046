import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { GroupCommit, succeeded, type ItemOutcome } from '../../../platform/database/group-commit.js';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { OUTBOX, type Outbox } from '../../../platform/events/outbox.js';
import type { RequestContext } from '../../../platform/logging/request-context.js';
import { OrderCancelled, OrderConfirmed, type CancellationReason } from '../contract.js';
import { acceptsCancellation, FORWARD, TERMINAL_STATES, type SagaState, type Step } from '../domain/checkout-saga.js';
import { checkoutSagas, orders } from './schema.js';

export type SagaRow = typeof checkoutSagas.$inferSelect & { state: SagaState };

interface Advance {
  orderId: string;
  owner: string;
  next: SagaState;
  shipment?: { id: string; trackingNumber: string } | undefined;
}

interface Finish {
  orderId: string;
  owner: string;
}

const unfinished = sql`${checkoutSagas.state} NOT IN (${sql.join(TERMINAL_STATES.map((s) => sql`${s}`), sql`, `)})`;

/**
 * The checkout saga's persisted state. Every write of a driving process names it as
 * the lease owner (`WHERE lease_owner = owner`): a process that lost its lease (it
 * stalled past it and another took over) gets null back and stops, so two processes
 * never drive one saga.
 */
@Injectable()
export class CheckoutSagasRepository {
  // The forward path's writes, group-committed: under load, the sagas that finish a
  // step together move on in one statement (see GroupCommit).
  private readonly advances = new GroupCommit<Advance, SagaRow | null>({
    name: 'checkout saga advance',
    run: (items) => this.advanceAll(items),
  });
  private readonly confirmations = new GroupCommit<Finish, SagaRow | null>({
    name: 'checkout saga confirmation',
    run: (items, callers) => this.confirmAll(items, callers),
  });

  constructor(
    @Inject(MODULE_DATABASE) private readonly database: ModuleDatabase,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {}

  /** Takes the saga for `leaseMs` unless another live process holds it, or it is finished. */
  async claim(orderId: string, owner: string, leaseMs: number): Promise<SagaRow | null> {
    const [row] = await this.database.db
      .update(checkoutSagas)
      .set({ leaseOwner: owner, leaseUntil: sql`now() + ${leaseMs}::int * interval '1 millisecond'` })
      .where(
        and(
          eq(checkoutSagas.orderId, orderId),
          unfinished,
          sql`(${checkoutSagas.leaseUntil} IS NULL OR ${checkoutSagas.leaseUntil} < now() OR ${checkoutSagas.leaseOwner} = ${owner})`,
        ),
      )
      .returning();
    return (row as SagaRow | undefined) ?? null;
  }

  async renew(orderId: string, owner: string, leaseMs: number): Promise<void> {
    await this.database.db
      .update(checkoutSagas)
      .set({ leaseUntil: sql`now() + ${leaseMs}::int * interval '1 millisecond'` })
      .where(and(eq(checkoutSagas.orderId, orderId), eq(checkoutSagas.leaseOwner, owner)));
  }

  async release(orderId: string, owner: string): Promise<void> {
    await this.database.db
      .update(checkoutSagas)
      .set({ leaseOwner: null, leaseUntil: null })
      .where(and(eq(checkoutSagas.orderId, orderId), eq(checkoutSagas.leaseOwner, owner)));
  }

  /** Recorded before the step's call: after a crash, the step counts as begun (its outcome unknown) and is compensated. */
  beginStep(orderId: string, owner: string, step: Step): Promise<SagaRow | null> {
    return this.update(orderId, owner, {
      startedSteps: sql`CASE WHEN ${step} = ANY(${checkoutSagas.startedSteps}) THEN ${checkoutSagas.startedSteps}
                          ELSE array_append(${checkoutSagas.startedSteps}, ${step}::text) END`,
      stepStartedAt: sql`COALESCE(${checkoutSagas.stepStartedAt}, now())`,
    });
  }

  /**
   * The step succeeded: on to `next`, and (in the same write) `next`'s own step is
   * recorded as begun, so a step costs the saga one write. A shipment is kept on the
   * order for the confirmation.
   */
  advance(
    orderId: string,
    owner: string,
    next: SagaState,
    shipment?: { id: string; trackingNumber: string },
  ): Promise<SagaRow | null> {
    // Batches match rows to callers by order id, and PostgreSQL answers uuids in lower case.
    return this.advances.submit({ orderId: orderId.toLowerCase(), owner, next, shipment });
  }

  /** A transient failure: try again after `delayMs`. */
  recordRetry(orderId: string, owner: string, error: string, delayMs: number): Promise<SagaRow | null> {
    return this.update(orderId, owner, {
      attempts: sql`${checkoutSagas.attempts} + 1`,
      lastError: error,
      nextAttemptAt: sql`now() + ${delayMs}::int * interval '1 millisecond'`,
    });
  }

  /** Turns the saga back: the order shows CANCELLING until every begun step is undone. */
  startCompensating(orderId: string, owner: string, reason: CancellationReason, error: string | null): Promise<SagaRow | null> {
    return this.database.transaction(async (tx) => {
      const row = await this.update(
        orderId,
        owner,
        { state: 'COMPENSATING', failureReason: reason, lastError: error, attempts: 0, stepStartedAt: null },
        tx,
      );
      if (row) await this.setOrder(tx, orderId, { status: 'CANCELLING', cancellationReason: reason });
      return row;
    });
  }

  compensated(orderId: string, owner: string, step: Step): Promise<SagaRow | null> {
    return this.update(orderId, owner, {
      startedSteps: sql`array_remove(${checkoutSagas.startedSteps}, ${step}::text)`,
      attempts: 0,
      lastError: null,
    });
  }

  /** Compensation kept failing: parked, visible to operators, never dropped. */
  parkCompensationFailed(orderId: string, owner: string, error: string): Promise<SagaRow | null> {
    return this.update(orderId, owner, { state: 'COMPENSATION_FAILED', lastError: error, leaseOwner: null, leaseUntil: null });
  }

  finishConfirmed(orderId: string, owner: string): Promise<SagaRow | null> {
    return this.confirmations.submit({ orderId: orderId.toLowerCase(), owner });
  }

  finishCancelled(orderId: string, owner: string): Promise<SagaRow | null> {
    return this.database.transaction(async (tx) => {
      const row = await this.update(orderId, owner, { state: 'CANCELLED', stepStartedAt: null }, tx);
      if (!row) return null;
      const reason = (row.failureReason ?? 'STEP_REJECTED') as CancellationReason;
      const order = await this.setOrder(tx, orderId, { status: 'CANCELLED', cancellationReason: reason });
      await this.outbox.publish(tx, OrderCancelled, {
        orderId,
        userId: order.userId,
        total: { amount: order.totalAmount, currency: order.currency },
        reason,
        cancelledAt: order.updatedAt.toISOString(),
      });
      return row;
    });
  }

  /**
   * A customer's cancellation: flagged on the saga, which acts on it at its next step
   * boundary (undoing what was done). Answers the saga's state after the request.
   */
  async requestCancel(orderId: string): Promise<SagaRow | null> {
    return this.database.transaction(async (tx) => {
      const [row] = await tx.select().from(checkoutSagas).where(eq(checkoutSagas.orderId, orderId)).for('update');
      if (!row) return null;
      if (acceptsCancellation(row.state as SagaState) && !row.cancelRequested) {
        const [updated] = await tx
          .update(checkoutSagas)
          .set({ cancelRequested: true, nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
          .where(eq(checkoutSagas.orderId, orderId))
          .returning();
        return updated as SagaRow;
      }
      return row as SagaRow;
    });
  }

  /** Unfinished sagas nobody holds whose next attempt is due: the resumer's work. */
  async resumable(limit: number): Promise<string[]> {
    const rows = await this.database.db
      .select({ orderId: checkoutSagas.orderId })
      .from(checkoutSagas)
      .where(
        and(
          unfinished,
          sql`${checkoutSagas.nextAttemptAt} <= now()`,
          sql`(${checkoutSagas.leaseUntil} IS NULL OR ${checkoutSagas.leaseUntil} < now())`,
        ),
      )
      .orderBy(checkoutSagas.nextAttemptAt)
      .limit(limit);
    return rows.map((r) => r.orderId);
  }

  async find(orderId: string): Promise<SagaRow | null> {
    const [row] = await this.database.db.select().from(checkoutSagas).where(eq(checkoutSagas.orderId, orderId));
    return (row as SagaRow | undefined) ?? null;
  }

  async pageInState(state: SagaState, page: number, pageSize: number): Promise<SagaRow[]> {
    return (await this.database.db
      .select()
      .from(checkoutSagas)
      .where(eq(checkoutSagas.state, state))
      .orderBy(desc(checkoutSagas.updatedAt))
      .limit(pageSize)
      .offset((page - 1) * pageSize)) as SagaRow[];
  }

  /** An operator's retry of a parked compensation: back to COMPENSATING, attempts reset. */
  async retryCompensation(orderId: string): Promise<SagaRow | null> {
    const [row] = await this.database.db
      .update(checkoutSagas)
      .set({ state: 'COMPENSATING', attempts: 0, nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(checkoutSagas.orderId, orderId), eq(checkoutSagas.state, 'COMPENSATION_FAILED')))
      .returning();
    return (row as SagaRow | undefined) ?? null;
  }

  /** Every advance of a batch in one statement (two, in one transaction, when shipments are kept on orders). */
  private async advanceAll(items: Advance[]): Promise<ItemOutcome<SagaRow | null>[]> {
    const steps = items.map(({ next }) => {
      const step = FORWARD[next]?.step;
      return step && step !== 'confirm' ? step : null;
    });
    const write = async (executor: Db) => {
      const rows = (await executor
        .update(checkoutSagas)
        .set({
          state: sql`v.next`,
          attempts: 0,
          lastError: null,
          startedSteps: sql`CASE WHEN v.step IS NULL THEN ${checkoutSagas.startedSteps}
                              ELSE array_append(${checkoutSagas.startedSteps}, v.step) END`,
          stepStartedAt: sql`CASE WHEN v.step IS NULL THEN NULL ELSE now() END`,
          updatedAt: sql`now()`,
        })
        .from(
          sql`unnest(${sql.param(items.map((i) => i.orderId))}::uuid[], ${sql.param(items.map((i) => i.owner))}::text[],
                     ${sql.param(items.map((i) => i.next))}::text[], ${sql.param(steps)}::text[]) AS v(order_id, owner, next, step)`,
        )
        .where(sql`${checkoutSagas.orderId} = v.order_id AND ${checkoutSagas.leaseOwner} = v.owner`)
        .returning()) as SagaRow[];
      const advanced = new Set(rows.map((row) => row.orderId));
      const shipped = items.filter((item) => item.shipment && advanced.has(item.orderId));
      if (shipped.length) {
        await executor
          .update(orders)
          .set({ shipmentId: sql`v.shipment_id`, trackingNumber: sql`v.tracking_number`, updatedAt: sql`now()` })
          .from(
            sql`unnest(${sql.param(shipped.map((i) => i.orderId))}::uuid[], ${sql.param(shipped.map((i) => i.shipment!.id))}::uuid[],
                       ${sql.param(shipped.map((i) => i.shipment!.trackingNumber))}::text[]) AS v(order_id, shipment_id, tracking_number)`,
          )
          .where(sql`${orders.id} = v.order_id`);
      }
      return rows;
    };
    const rows = items.some((item) => item.shipment) ? await this.database.transaction(write) : await write(this.database.db);
    return items.map((item) => succeeded(rows.find((row) => row.orderId === item.orderId) ?? null));
  }

  /** The batch's sagas and orders CONFIRMED, and their OrderConfirmed, in one transaction. */
  private confirmAll(items: Finish[], callers: (RequestContext | undefined)[]): Promise<ItemOutcome<SagaRow | null>[]> {
    return this.database.transaction(async (tx) => {
      const rows = (await tx
        .update(checkoutSagas)
        .set({ state: 'CONFIRMED', stepStartedAt: null, lastError: null, updatedAt: sql`now()` })
        .from(
          sql`unnest(${sql.param(items.map((i) => i.orderId))}::uuid[], ${sql.param(items.map((i) => i.owner))}::text[]) AS v(order_id, owner)`,
        )
        .where(sql`${checkoutSagas.orderId} = v.order_id AND ${checkoutSagas.leaseOwner} = v.owner`)
        .returning()) as SagaRow[];
      const confirmed = rows.map((row) => row.orderId);
      const orderRows = confirmed.length
        ? await tx.update(orders).set({ status: 'CONFIRMED', updatedAt: sql`now()` }).where(inArray(orders.id, confirmed)).returning()
        : [];
      await this.outbox.publishAll(
        tx,
        orderRows.map((order) => ({
          type: OrderConfirmed,
          payload: {
            orderId: order.id,
            userId: order.userId,
            total: { amount: order.totalAmount, currency: order.currency },
            shipmentId: order.shipmentId!,
            trackingNumber: order.trackingNumber!,
            confirmedAt: order.updatedAt.toISOString(),
          },
          context: callers[items.findIndex((item) => item.orderId === order.id)],
        })),
      );
      return items.map((item) => succeeded(rows.find((row) => row.orderId === item.orderId) ?? null));
    });
  }

  private async update(
    orderId: string,
    owner: string,
    changes: Partial<Record<keyof typeof checkoutSagas.$inferInsert, unknown>>,
    executor: Db = this.database.db,
  ): Promise<SagaRow | null> {
    const [row] = await executor
      .update(checkoutSagas)
      .set({ ...(changes as object), updatedAt: sql`now()` } as unknown as typeof checkoutSagas.$inferInsert)
      .where(and(eq(checkoutSagas.orderId, orderId), eq(checkoutSagas.leaseOwner, owner)))
      .returning();
    return (row as SagaRow | undefined) ?? null;
  }

  private async setOrder(tx: Db, orderId: string, changes: { status: string; cancellationReason?: string }) {
    const [order] = await tx
      .update(orders)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(orders.id, orderId))
      .returning();
    return order!;
  }
}
