import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetPayment, type PaymentView } from '../contract.js';
import { PaymentsRepository, toPaymentView } from '../db/payments.repository.js';
import { isOrderId } from '../domain/payment-request.js';

@QueryHandler(GetPayment)
export class GetPaymentHandler implements IQueryHandler<GetPayment, PaymentView | null> {
  constructor(private readonly payments: PaymentsRepository) {}

  async execute({ orderId }: GetPayment): Promise<PaymentView | null> {
    // Not a UUID cannot be an order id: no payment, rather than a database error.
    if (!isOrderId(orderId)) return null;
    const row = await this.payments.find(orderId);
    return row ? toPaymentView(row) : null;
  }
}
