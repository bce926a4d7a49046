import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { RefundPayment, type PaymentView } from '../contract.js';
import { PaymentsRepository, toPaymentView } from '../db/payments.repository.js';
import { InvalidPaymentRequestError } from '../domain/payment-errors.js';
import { isOrderId } from '../domain/payment-request.js';
import { PaymentSettlement } from '../settlement/payment-settlement.js';

/**
 * Compensation: afterwards the order has no money of the customer's, whatever came
 * before. No payment yet → a VOIDED tombstone so a late charge is refused; PENDING →
 * settle the charge first (it may have gone through); COMPLETED → refund once (the
 * provider key makes concurrent refunds one refund, the conditional update one event);
 * DECLINED, VOIDED, REFUNDED → nothing to give back.
 */
@CommandHandler(RefundPayment)
export class RefundPaymentHandler implements ICommandHandler<RefundPayment, PaymentView> {
  constructor(
    private readonly payments: PaymentsRepository,
    private readonly settlement: PaymentSettlement,
  ) {}

  async execute({ orderId }: RefundPayment): Promise<PaymentView> {
    if (!isOrderId(orderId)) throw new InvalidPaymentRequestError([{ field: 'orderId', message: 'must be a UUID' }]);
    let row =
      (await this.payments.find(orderId)) ??
      (await this.payments.insertVoided(orderId, randomUUID())) ??
      (await this.payments.find(orderId));
    if (!row) throw new Error(`payment of order ${orderId} neither inserted nor found`);
    if (row.status === 'PENDING') row = await this.settlement.settleCharge(row);
    if (row.status === 'COMPLETED') row = await this.settlement.refund(row);
    return toPaymentView(row);
  }
}
