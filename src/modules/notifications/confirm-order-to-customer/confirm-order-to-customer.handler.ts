import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '../../../platform/contracts/index.js';
import { OnIntegrationEvent, type ApplyOnce } from '../../../platform/events/subscriptions.js';
import type { OrderConfirmedPayload } from '../../ordering/contract.js';
import { NotificationsSubscriptions } from '../contract.js';
import { CustomerMessenger } from '../customer-messenger/customer-messenger.js';
import { moneyText } from '../domain/money-text.js';

/** Tells the customer the checkout went through: paid, reserved, and a shipment made. */
@Injectable()
export class ConfirmOrderToCustomer {
  constructor(private readonly messenger: CustomerMessenger) {}

  @OnIntegrationEvent(NotificationsSubscriptions.ConfirmOrderToCustomer)
  handle(event: EventEnvelope<OrderConfirmedPayload>, apply: ApplyOnce): Promise<void> {
    const { orderId, total, trackingNumber } = event.payload;
    return this.messenger.tell(event, apply, (customer) => ({
      template: 'order_confirmed',
      subject: 'Your order is confirmed',
      body:
        `Hello ${customer.name}, your order ${orderId} for ${moneyText(total)} is confirmed. ` +
        `Its tracking number is ${trackingNumber}.`,
    }));
  }
}
