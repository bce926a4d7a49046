import type { Money } from '../../../platform/contracts/index.js';

/**
 * The outside edge payments talk to: a card payment provider. The shop ships a
 * simulated one (SimulatedPaymentProvider, rules in docs/payments-simulator.md); a
 * real provider's adapter plugs in at the composition root behind this interface.
 *
 * Both calls take an idempotency key, and a provider must treat a repeat of a key as
 * the same request (answering the first outcome), so payments can retry after a
 * crash or a lost answer without charging twice.
 */
export interface ChargeRequest {
  idempotencyKey: string;
  amount: Money;
  paymentToken: string;
  /** Shown on the customer's statement. */
  description: string;
}

export type ChargeResult =
  | { outcome: 'charged'; chargeId: string }
  | { outcome: 'declined'; reason: string };

export interface RefundRequest {
  idempotencyKey: string;
  chargeId: string;
  amount: Money;
}

export interface PaymentProvider {
  /** Throws PaymentProviderUnavailableError when the provider errs or does not answer (transient). */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Throws PaymentProviderUnavailableError when the provider errs or does not answer (transient). */
  refund(request: RefundRequest): Promise<{ refundId: string }>;
}

/** A transient failure of the provider: the same request may succeed later. */
export class PaymentProviderUnavailableError extends Error {
  constructor(message = 'the payment provider did not answer') {
    super(message);
    this.name = 'PaymentProviderUnavailableError';
  }
}

export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');
