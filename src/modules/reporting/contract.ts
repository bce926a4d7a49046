import { ContractQuery, defineSubscription, Query } from '../../platform/contracts/index.js';
import { OrderCancelled, OrderConfirmed, OrderPlaced, type CancellationReason, type OrderLineView } from '../ordering/contract.js';

/** reporting's published language: read-only views over orders, built from ordering's events. */

export type OrderSummaryStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

export interface OrderSummaryView {
  orderId: string;
  userId: string;
  /** "Unknown" when identity could not tell it. */
  userName: string;
  /** In line order; empty while the order's OrderPlaced has not been seen. */
  productNames: string[];
  /** Null while the order's OrderPlaced has not been seen (events arrive in any order). */
  lines: OrderLineView[] | null;
  total: { amount: number; currency: string };
  status: OrderSummaryStatus;
  cancellationReason: CancellationReason | null;
  placedAt: string | null;
  confirmedAt: string | null;
  cancelledAt: string | null;
  updatedAt: string;
}

export interface OrderSummaryPage {
  items: OrderSummaryView[];
  page: number;
  pageSize: number;
  total: number;
}

export interface OrderSummaryFilter {
  status?: OrderSummaryStatus;
  /** ISO timestamps: placed at or after `placedFrom`, strictly before `placedBefore`. */
  placedFrom?: string;
  placedBefore?: string;
}

/** Order summaries, newest placed first (orders not yet seen placed come last). */
@ContractQuery('reporting', 'GetOrderSummaries')
export class GetOrderSummaries extends Query<OrderSummaryPage> {
  constructor(
    public readonly filter: OrderSummaryFilter,
    public readonly page: number,
    public readonly pageSize: number,
  ) {
    super();
  }
}

export interface SalesDay {
  /** UTC day of confirmation, `YYYY-MM-DD`. */
  date: string;
  currency: string;
  orders: number;
  /** Sum of the confirmed orders' totals, in the currency's minor unit. */
  revenue: number;
}

export interface SalesReport {
  days: SalesDay[];
}

/** Confirmed orders per UTC day of confirmation and currency, oldest day first. */
@ContractQuery('reporting', 'GetSalesReport')
export class GetSalesReport extends Query<SalesReport> {
  constructor(
    /** ISO timestamps: confirmed at or after `from`, strictly before `before`. */
    public readonly from?: string,
    public readonly before?: string,
  ) {
    super();
  }
}

/**
 * The events reporting projects. Declared here rather than only on the handlers so that
 * every process knows these routes, whether or not it hosts reporting. Each name is
 * stable: it keys the inbox rows (a rebuild forgets them by name), queue jobs and dead letters.
 */
export const ReportingSubscriptions = {
  ProjectOrderPlaced: defineSubscription('reporting', 'ProjectOrderPlaced', OrderPlaced),
  ProjectOrderConfirmed: defineSubscription('reporting', 'ProjectOrderConfirmed', OrderConfirmed),
  ProjectOrderCancelled: defineSubscription('reporting', 'ProjectOrderCancelled', OrderCancelled),
} as const;

/** reporting raises no domain error of its own (bad filters and periods are the platform's VALIDATION_FAILED). */
export const ReportingErrors = {} as const;
