import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ProcessPayment, type PaymentView } from '../contract.js';
import { PaymentsRepository, toPaymentView, type PaymentRow } from '../db/payments.repository.js';
import { InvalidPaymentRequestError, OrderVoidedError, PaymentDeclinedError } from '../domain/payment-errors.js';
import { problemsOfCharge } from '../domain/payment-request.js';
import { PaymentSettlement } from '../settlement/payment-settlement.js';

/**
 * One charge per order, ever. The PENDING row is committed before the provider is
 * asked, so whoever comes second (a retry, a concurrent duplicate, a restart after a
 * crash) finds it and settles the same payment with the same provider key, never a
 * new one. A repeat answers the recorded request's outcome; its own amount and token
 * are not used again.
 */
@CommandHandler(ProcessPayment)
export class ProcessPaymentHandler implements ICommandHandler<ProcessPayment, PaymentView> {
  constructor(
    private readonly payments: PaymentsRepository,
    private readonly settlement: PaymentSettlement,
  ) {}

  async execute(command: ProcessPayment): Promise<PaymentView> {
    const problems = problemsOfCharge(command);
    if (problems.length > 0) throw new InvalidPaymentRequestError(problems);
    const { orderId, userId, amount, paymentToken } = command;
    const claimed = await this.payments.insertPending({ orderId, paymentId: randomUUID(), userId, amount, paymentToken });
    const row = claimed ?? (await this.payments.find(orderId));
    if (!row) throw new Error(`payment of order ${orderId} neither inserted nor found`);
    return outcomeOf(row.status === 'PENDING' ? await this.settlement.settleCharge(row) : row);
  }
}

/** What a settled payment means to the one asking for the charge. */
function outcomeOf(row: PaymentRow): PaymentView {
  switch (row.status) {
    case 'COMPLETED':
      return toPaymentView(row);
    case 'DECLINED':
      throw new PaymentDeclinedError(row.declineReason ?? 'UNKNOWN');
    case 'REFUNDED':
    case 'VOIDED':
      throw new OrderVoidedError(row.orderId);
    default:
      throw new Error(`payment of order ${row.orderId} is still ${row.status} after settling`);
  }
}
