import { Inject, Injectable } from '@nestjs/common';
import { and, count, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { preparedStatement } from '../../../platform/database/prepared-statement.js';
import type { Money } from '../../../platform/contracts/index.js';
import type { CancellationReason, OrderLineView } from '../../ordering/contract.js';
import type { OrderSummaryFilter, OrderSummaryPage, OrderSummaryView, SalesDay } from '../contract.js';
import { SUMMARY_STATUSES, UNKNOWN_NAME, type SummaryStatus } from '../domain/summary-status.js';
import { inbox, orderSummaries } from './schema.js';

/** What one event tells about an order; the fields it does not know are null. */
export interface OrderFact {
  orderId: string;
  userId: string;
  userName: string;
  /** Only with `lines` (an OrderPlaced). */
  productNames: string[];
  lines: OrderLineView[] | null;
  total: Money;
  status: SummaryStatus;
  cancellationReason: CancellationReason | null;
  placedAt: string | null;
  confirmedAt: string | null;
  cancelledAt: string | null;
}

const precedence = `ARRAY[${SUMMARY_STATUSES.map((s) => `'${s}'`).join(', ')}]`;

/**
 * Merges one fact into the order's row in a single statement, so concurrent
 * deliveries for one order serialise on the row and any order of arrival gives the
 * same result: each column is set only by the event that knows it (COALESCE keeps
 * what another event wrote), the status only moves up the precedence, and a real
 * name replaces "Unknown" but is never replaced by it.
 */
const mergeFact = preparedStatement(
  'reporting_merge_order_fact',
  `INSERT INTO reporting.order_summaries AS s
     (order_id, user_id, user_name, product_names, lines, total_amount, currency, status,
      cancellation_reason, placed_at, confirmed_at, cancelled_at, updated_at)
   VALUES ($1, $2, $3, $4::text[], $5::jsonb, $6, $7, $8, $9, $10::timestamptz, $11::timestamptz, $12::timestamptz, now())
   ON CONFLICT (order_id) DO UPDATE SET
     user_id = EXCLUDED.user_id,
     user_name = CASE WHEN EXCLUDED.user_name <> '${UNKNOWN_NAME}' THEN EXCLUDED.user_name ELSE s.user_name END,
     product_names = CASE WHEN EXCLUDED.lines IS NOT NULL THEN EXCLUDED.product_names ELSE s.product_names END,
     lines = COALESCE(EXCLUDED.lines, s.lines),
     total_amount = EXCLUDED.total_amount,
     currency = EXCLUDED.currency,
     status = CASE WHEN array_position(${precedence}, EXCLUDED.status) > array_position(${precedence}, s.status)
                   THEN EXCLUDED.status ELSE s.status END,
     cancellation_reason = COALESCE(EXCLUDED.cancellation_reason, s.cancellation_reason),
     placed_at = COALESCE(EXCLUDED.placed_at, s.placed_at),
     confirmed_at = COALESCE(EXCLUDED.confirmed_at, s.confirmed_at),
     cancelled_at = COALESCE(EXCLUDED.cancelled_at, s.cancelled_at),
     updated_at = now()`,
);

type Row = typeof orderSummaries.$inferSelect;

function toView(row: Row): OrderSummaryView {
  return {
    orderId: row.orderId,
    userId: row.userId,
    userName: row.userName,
    productNames: row.productNames,
    lines: row.lines,
    total: { amount: row.totalAmount, currency: row.currency },
    status: row.status as SummaryStatus,
    cancellationReason: row.cancellationReason as CancellationReason | null,
    placedAt: row.placedAt?.toISOString() ?? null,
    confirmedAt: row.confirmedAt?.toISOString() ?? null,
    cancelledAt: row.cancelledAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

@Injectable()
export class OrderSummariesRepository {
  constructor(@Inject(MODULE_DATABASE) private readonly database: ModuleDatabase) {}

  /** Runs once per delivered event, so it is a named prepared statement. */
  async merge(tx: Db, fact: OrderFact): Promise<void> {
    await mergeFact.run(tx, [
      fact.orderId,
      fact.userId,
      fact.userName,
      fact.productNames,
      fact.lines === null ? null : JSON.stringify(fact.lines),
      fact.total.amount,
      fact.total.currency,
      fact.status,
      fact.cancellationReason,
      fact.placedAt,
      fact.confirmedAt,
      fact.cancelledAt,
    ]);
  }

  async page(filter: OrderSummaryFilter, page: number, pageSize: number): Promise<OrderSummaryPage> {
    const conditions: SQL[] = [];
    if (filter.status) conditions.push(eq(orderSummaries.status, filter.status));
    if (filter.placedFrom) conditions.push(gte(orderSummaries.placedAt, new Date(filter.placedFrom)));
    if (filter.placedBefore) conditions.push(lt(orderSummaries.placedAt, new Date(filter.placedBefore)));
    const where = and(...conditions);
    const [rows, totals] = await Promise.all([
      this.database.db
        .select()
        .from(orderSummaries)
        .where(where)
        .orderBy(sql`${orderSummaries.placedAt} DESC NULLS LAST`, desc(orderSummaries.orderId))
        .limit(pageSize)
        .offset((page - 1) * pageSize),
      this.database.db.select({ total: count() }).from(orderSummaries).where(where),
    ]);
    return { items: rows.map(toView), page, pageSize, total: totals[0]?.total ?? 0 };
  }

  /** Confirmed orders per UTC day of confirmation and currency. */
  async salesByDay(from: string | undefined, before: string | undefined): Promise<SalesDay[]> {
    const conditions: SQL[] = [eq(orderSummaries.status, 'CONFIRMED')];
    if (from) conditions.push(gte(orderSummaries.confirmedAt, new Date(from)));
    if (before) conditions.push(lt(orderSummaries.confirmedAt, new Date(before)));
    const day = sql<string>`to_char(${orderSummaries.confirmedAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
    return this.database.db
      .select({
        date: day,
        currency: orderSummaries.currency,
        orders: sql<number>`count(*)::int`,
        // Minor units; bigint so a long period cannot overflow, read back as a number.
        revenue: sql<number>`sum(${orderSummaries.totalAmount})::bigint`.mapWith(Number),
      })
      .from(orderSummaries)
      .where(and(...conditions))
      .groupBy(day, orderSummaries.currency)
      .orderBy(day, orderSummaries.currency);
  }

  /** Forgets every summary and, in the same transaction, which events made them, so a replay projects them afresh. */
  async forgetAll(subscriptions: string[]): Promise<void> {
    await this.database.transaction(async (tx) => {
      await tx.delete(orderSummaries);
      await tx.delete(inbox).where(inArray(inbox.subscription, subscriptions));
    });
  }
}
