import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../../../platform/logging/logger.token.js';
import { chargeRequestOf, PaymentsRepository, type PaymentRow } from '../db/payments.repository.js';
import { ProviderUnavailableError } from '../domain/payment-errors.js';
import { chargeKeyOf, refundKeyOf } from '../domain/payment-request.js';
import { PAYMENT_PROVIDER, PaymentProviderUnavailableError, type PaymentProvider } from '../provider/payment-provider.js';

/**
 * Talks to the provider for a recorded payment and records its answer. The provider
 * is called outside any transaction (no connection or lock is held while it thinks),
 * always with the payment's own idempotency keys, so any number of retries, racing or
 * not, amount to one charge and one refund.
 */
@Injectable()
export class PaymentSettlement {
  constructor(
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    private readonly payments: PaymentsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Asks for the charge of a PENDING payment, the very request recorded on it; returns the row as it now stands. */
  async settleCharge(row: PaymentRow): Promise<PaymentRow> {
    const { amount, paymentToken } = chargeRequestOf(row);
    const result = await this.ask(row, () =>
      this.provider.charge({
        idempotencyKey: chargeKeyOf(row.paymentId),
        amount,
        paymentToken,
        description: `Order ${row.orderId}`,
      }),
    );
    return this.payments.recordCharge(row.orderId, result);
  }

  /** Gives a COMPLETED payment's charge back; returns the row as it now stands. */
  async refund(row: PaymentRow): Promise<PaymentRow> {
    if (!row.providerReference) throw new Error(`payment of order ${row.orderId} has no charge to refund`);
    const { amount } = chargeRequestOf(row);
    const { refundId } = await this.ask(row, () =>
      this.provider.refund({ idempotencyKey: refundKeyOf(row.paymentId), chargeId: row.providerReference!, amount }),
    );
    return this.payments.recordRefund(row.orderId, refundId);
  }

  private async ask<T>(row: PaymentRow, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof PaymentProviderUnavailableError)) throw error;
      this.logger.warn({ orderId: row.orderId, paymentId: row.paymentId, err: error.message }, 'payment provider unavailable');
      throw new ProviderUnavailableError();
    }
  }
}
