import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '../../../platform/contracts/index.js';
import { OnIntegrationEvent, type ApplyOnce } from '../../../platform/events/subscriptions.js';
import type { OrderCancelledPayload } from '../../ordering/contract.js';
import { NotificationsSubscriptions } from '../contract.js';
import { CustomerMessenger } from '../customer-messenger/customer-messenger.js';
import { moneyText } from '../domain/money-text.js';
import { CANCELLATION_REASONS } from './cancellation-reasons.js';

/** Tells the customer their order was cancelled, and why. */
@Injectable()
export class TellCustomerOrderCancelled {
  constructor(private readonly messenger: CustomerMessenger) {}

  @OnIntegrationEvent(NotificationsSubscriptions.TellCustomerOrderCancelled)
  handle(event: EventEnvelope<OrderCancelledPayload>, apply: ApplyOnce): Promise<void> {
    const { orderId, total, reason } = event.payload;
    // A reason newer than this build still gets a message rather than failing the event.
    const why = CANCELLATION_REASONS[reason] ?? `of ${reason}`;
    return this.messenger.tell(event, apply, (customer) => ({
      template: 'order_cancelled',
      subject: 'Your order was cancelled',
      body:
        `Hello ${customer.name}, your order ${orderId} for ${moneyText(total)} was cancelled because ${why}. ` +
        'Anything charged for it is refunded.',
    }));
  }
}
