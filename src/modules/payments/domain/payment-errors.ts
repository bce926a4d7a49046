import { DomainError, type FieldProblem } from '../../../platform/contracts/index.js';

/** The provider refused the charge; `reason` is its code, e.g. CARD_DECLINED or AMOUNT_LIMIT. */
export class PaymentDeclinedError extends DomainError {
  readonly code = 'PAYMENTS.DECLINED';
  readonly kind = 'unprocessable' as const;
  constructor(readonly reason: string) {
    super(`The payment was declined: ${reason}.`);
  }
}

/** The order's payment was refunded (or voided before any charge): it is never charged again. */
export class OrderVoidedError extends DomainError {
  readonly code = 'PAYMENTS.ORDER_VOIDED';
  readonly kind = 'conflict' as const;
  constructor(orderId: string) {
    super(`The payment of order ${orderId} was refunded or voided; the order cannot be charged again.`);
  }
}

/** Transient: the provider erred or did not answer; the same request may succeed later. */
export class ProviderUnavailableError extends DomainError {
  readonly code = 'PAYMENTS.PROVIDER_UNAVAILABLE';
  readonly kind = 'unavailable' as const;
  constructor() {
    super('The payment provider is unavailable; try again.');
  }
}

export class InvalidPaymentRequestError extends DomainError {
  readonly code = 'PAYMENTS.INVALID_REQUEST';
  readonly kind = 'invalid' as const;
  constructor(fields: FieldProblem[]) {
    super(`The payment request is invalid: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}.`, fields);
  }
}

export class PaymentNotFoundError extends DomainError {
  readonly code = 'PAYMENTS.PAYMENT_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(orderId: string) {
    super(`Order ${orderId} has no payment.`);
  }
}
