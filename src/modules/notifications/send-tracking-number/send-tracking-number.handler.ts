import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '../../../platform/contracts/index.js';
import { OnIntegrationEvent, type ApplyOnce } from '../../../platform/events/subscriptions.js';
import type { ShipmentCreatedPayload } from '../../shipping/contract.js';
import { NotificationsSubscriptions } from '../contract.js';
import { CustomerMessenger } from '../customer-messenger/customer-messenger.js';

/** Gives the customer the carrier and tracking number of their order's shipment. */
@Injectable()
export class SendTrackingNumber {
  constructor(private readonly messenger: CustomerMessenger) {}

  @OnIntegrationEvent(NotificationsSubscriptions.SendTrackingNumber)
  handle(event: EventEnvelope<ShipmentCreatedPayload>, apply: ApplyOnce): Promise<void> {
    const { orderId, carrier, trackingNumber } = event.payload;
    return this.messenger.tell(event, apply, (customer) => ({
      template: 'shipment_created',
      subject: `Tracking number for your order: ${trackingNumber}`,
      body: `Hello ${customer.name}, your order ${orderId} travels with ${carrier}. Track it with ${trackingNumber}.`,
    }));
  }
}
