import { Command, ContractCommand, ContractQuery, defineIntegrationEvent, Query, type Money } from '../../platform/contracts/index.js';

/** payments' published language. */

/**
 * `PENDING`: the provider was asked and the answer is not recorded yet (a crash in
 * between; a repeat of ProcessPayment settles it with the same provider key).
 * `VOIDED`: refunded before any charge existed, a tombstone that stops a late charge.
 */
export type PaymentStatus = 'PENDING' | 'COMPLETED' | 'DECLINED' | 'REFUNDED' | 'VOIDED';

export interface PaymentView {
  orderId: string;
  /** Our id of the payment; also the provider's idempotency key. */
  paymentId: string;
  userId: string;
  status: PaymentStatus;
  amount: Money;
  /** Why the provider declined, e.g. `CARD_DECLINED`, `AMOUNT_LIMIT`; null otherwise. */
  declineReason: string | null;
  /** The provider's charge id once charged. */
  providerReference: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Charges the order's amount, at most once per order, ever: idempotent by order id
 * (a repeat answers the recorded outcome; the provider is called with the same
 * idempotency key). Fails with PAYMENTS.DECLINED (422, `reason`), PAYMENTS.ORDER_VOIDED
 * (409) when a refund came first, and PAYMENTS.PROVIDER_UNAVAILABLE (503, transient:
 * retry) when the provider errs or does not answer.
 */
@ContractCommand('payments', 'ProcessPayment')
export class ProcessPayment extends Command<PaymentView> {
  constructor(
    public readonly orderId: string,
    public readonly userId: string,
    public readonly amount: Money,
    /** The customer's card token from the payment form (see docs for the simulator's test tokens). */
    public readonly paymentToken: string,
  ) {
    super();
  }
}

/**
 * Gives the order's charge back (compensation). Idempotent by order id: a charged
 * payment is refunded once; with no charge it records VOIDED so a late
 * ProcessPayment charges nothing. Fails with PAYMENTS.PROVIDER_UNAVAILABLE (transient).
 */
@ContractCommand('payments', 'RefundPayment')
export class RefundPayment extends Command<PaymentView> {
  constructor(public readonly orderId: string) {
    super();
  }
}

/** The payment of an order, or null. */
@ContractQuery('payments', 'GetPayment')
export class GetPayment extends Query<PaymentView | null> {
  constructor(public readonly orderId: string) {
    super();
  }
}

export interface PaymentCompletedPayload {
  orderId: string;
  userId: string;
  paymentId: string;
  amount: Money;
}

export interface PaymentFailedPayload {
  orderId: string;
  userId: string;
  paymentId: string;
  amount: Money;
  reason: string;
}

export interface PaymentRefundedPayload {
  orderId: string;
  userId: string;
  paymentId: string;
  amount: Money;
}

export const PaymentCompleted = defineIntegrationEvent<PaymentCompletedPayload>('payments', 'PaymentCompleted', 1);
export const PaymentFailed = defineIntegrationEvent<PaymentFailedPayload>('payments', 'PaymentFailed', 1);
export const PaymentRefunded = defineIntegrationEvent<PaymentRefundedPayload>('payments', 'PaymentRefunded', 1);
