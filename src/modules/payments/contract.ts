import { Command, ContractCommand, ContractQuery, defineIntegrationEvent, Query, z, moneySchema, type Money } from '../../platform/contracts/index.js';

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
 * (the order's payment row is claimed before the provider is asked, and a repeat
 * answers that row's recorded outcome, or settles a PENDING one with the same provider
 * idempotency key; its own amount and token are not used again). Fails with PAYMENTS.DECLINED (422, `reason`), PAYMENTS.ORDER_VOIDED
 * (409) when a refund came first, and PAYMENTS.PROVIDER_UNAVAILABLE (503, transient:
 * retry) when the provider errs or does not answer.
 */
@ContractCommand('payments', 'ProcessPayment', { idempotent: true })
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
 * payment is refunded once (only the move from COMPLETED to REFUNDED records it, and
 * the provider's refund key is derived from the payment); with no charge it records
 * VOIDED so a late ProcessPayment charges nothing. A repeat answers the payment as it
 * then stands. Fails with PAYMENTS.PROVIDER_UNAVAILABLE (transient).
 */
@ContractCommand('payments', 'RefundPayment', { idempotent: true })
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
  /** The provider's decline code, e.g. `CARD_DECLINED`, `AMOUNT_LIMIT`. */
  reason: string;
}

export interface PaymentRefundedPayload {
  orderId: string;
  userId: string;
  paymentId: string;
  amount: Money;
}

// Payload schemas, which a consumer checks before its handler runs. Ids are z.guid(): any
// UUID Postgres stores (ProcessPayment checks no version bits); money is integer minor
// units and an upper-case ISO 4217 code, as ProcessPayment admits it.
// `satisfies` keeps each schema within its payload interface; the converse (the schema
// admits every payload the interface allows) is proven by test/architecture/event-payloads.spec.ts.
const paymentFact = { orderId: z.guid(), userId: z.guid(), paymentId: z.guid(), amount: moneySchema };

export const PaymentCompleted = defineIntegrationEvent(
  'payments',
  'PaymentCompleted',
  1,
  z.object(paymentFact) satisfies z.ZodType<PaymentCompletedPayload>,
);

export const PaymentFailed = defineIntegrationEvent(
  'payments',
  'PaymentFailed',
  1,
  // The provider's own decline code, passed on as it came.
  z.object({ ...paymentFact, reason: z.string() }) satisfies z.ZodType<PaymentFailedPayload>,
);

export const PaymentRefunded = defineIntegrationEvent(
  'payments',
  'PaymentRefunded',
  1,
  z.object(paymentFact) satisfies z.ZodType<PaymentRefundedPayload>,
);

/** The codes of payments' domain errors, for callers that match on one. */
export const PaymentsErrors = {
  /** unprocessable: the provider declined the charge; `reason` is its code (CARD_DECLINED, AMOUNT_LIMIT…). */
  DECLINED: 'PAYMENTS.DECLINED',
  /** conflict: ProcessPayment for an order whose payment was refunded or voided first. */
  ORDER_VOIDED: 'PAYMENTS.ORDER_VOIDED',
  /** unavailable: the provider erred or did not answer; the same request may succeed later. */
  PROVIDER_UNAVAILABLE: 'PAYMENTS.PROVIDER_UNAVAILABLE',
  /** invalid: a ProcessPayment or RefundPayment with malformed ids, amount or token (`fields`). */
  INVALID_REQUEST: 'PAYMENTS.INVALID_REQUEST',
  /** not_found: no payment exists for the order asked about. */
  PAYMENT_NOT_FOUND: 'PAYMENTS.PAYMENT_NOT_FOUND',
} as const;
