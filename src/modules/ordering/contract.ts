import { defineIntegrationEvent, type Money } from '../../platform/contracts/index.js';

/** ordering's published language. */

/**
 * `PENDING` while the checkout saga runs; `CANCELLING` while it undoes completed steps
 * (and, if that keeps failing, until an operator intervenes); then `CONFIRMED` or
 * `CANCELLED` with a reason.
 */
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLING' | 'CANCELLED';

/** Why an order was cancelled. */
export type CancellationReason =
  | 'OUT_OF_STOCK'
  | 'PAYMENT_DECLINED'
  | 'NOT_SHIPPABLE'
  | 'STEP_TIMED_OUT'
  /** A step refused for a reason the saga has no name for (see the order's failure detail). */
  | 'STEP_REJECTED'
  | 'CUSTOMER_CANCELLED';

export interface OrderLineView {
  productId: string;
  sku: string;
  quantity: number;
  /** The price when the order was placed. */
  unitPrice: Money;
  /** The product's name when the order was placed. */
  productName: string;
}

export interface OrderPlacedPayload {
  orderId: string;
  userId: string;
  lines: OrderLineView[];
  total: Money;
  placedAt: string;
}

export interface OrderConfirmedPayload {
  orderId: string;
  userId: string;
  total: Money;
  shipmentId: string;
  trackingNumber: string;
  confirmedAt: string;
}

export interface OrderCancelledPayload {
  orderId: string;
  userId: string;
  total: Money;
  reason: CancellationReason;
  cancelledAt: string;
}

export const OrderPlaced = defineIntegrationEvent<OrderPlacedPayload>('ordering', 'OrderPlaced', 1);
export const OrderConfirmed = defineIntegrationEvent<OrderConfirmedPayload>('ordering', 'OrderConfirmed', 1);
export const OrderCancelled = defineIntegrationEvent<OrderCancelledPayload>('ordering', 'OrderCancelled', 1);
