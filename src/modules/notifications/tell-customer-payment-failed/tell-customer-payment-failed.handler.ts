import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '../../../platform/contracts/index.js';
import { OnIntegrationEvent, type ApplyOnce } from '../../../platform/events/subscriptions.js';
import type { PaymentFailedPayload } from '../../payments/contract.js';
import { NotificationsSubscriptions } from '../contract.js';
import { CustomerMessenger } from '../customer-messenger/customer-messenger.js';
import { moneyText } from '../domain/money-text.js';
import { declineText } from './decline-reasons.js';

/** Tells the customer their payment did not go through, and why the provider said no. */
@Injectable()
export class TellCustomerPaymentFailed {
  constructor(private readonly messenger: CustomerMessenger) {}

  @OnIntegrationEvent(NotificationsSubscriptions.TellCustomerPaymentFailed)
  handle(event: EventEnvelope<PaymentFailedPayload>, apply: ApplyOnce): Promise<void> {
    const { orderId, amount, reason } = event.payload;
    return this.messenger.tell(event, apply, (customer) => ({
      template: 'payment_failed',
      subject: 'Your payment failed',
      body: `Hello ${customer.name}, we could not take ${moneyText(amount)} for your order ${orderId}: ${declineText(reason)}.`,
    }));
  }
}
