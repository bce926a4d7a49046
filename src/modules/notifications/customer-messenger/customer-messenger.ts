import { Inject, Injectable } from '@nestjs/common';
import type { EventEnvelope } from '../../../platform/contracts/index.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import type { ApplyOnce } from '../../../platform/events/subscriptions.js';
import { GetUser, type UserView } from '../../identity/contract.js';
import type { NotificationTemplate } from '../contract.js';
import { NotificationsRepository } from '../db/notifications.repository.js';
import { NOTIFICATION_SENDER, type NotificationSender } from '../sender/notification-sender.js';

export interface CustomerMessage {
  template: NotificationTemplate;
  subject: string;
  body: string;
}

/**
 * Tells the customer an event is about, for the checkout reactions. Events carry only
 * the user's id, so the address and name are asked of identity first, outside the
 * transaction (on the embedded database a contract call inside one waits on itself).
 *
 * - No such user (the account is gone): there is nobody to tell. Returning without
 *   `apply` still marks the event seen, so it is not retried.
 * - identity fails or times out: the error propagates, so the event is retried with
 *   backoff and dead-lettered after the last attempt; never silently dropped.
 *
 * Storing and sending share the inbox's transaction, as in WelcomeNewUser: a failed
 * send records nothing and is retried; the key lets the provider drop a resend.
 */
@Injectable()
export class CustomerMessenger {
  constructor(
    private readonly contracts: ContractBus,
    private readonly notifications: NotificationsRepository,
    @Inject(NOTIFICATION_SENDER) private readonly sender: NotificationSender,
  ) {}

  async tell(
    event: EventEnvelope<{ userId: string }>,
    apply: ApplyOnce,
    compose: (customer: UserView) => CustomerMessage,
  ): Promise<void> {
    const customer = await this.contracts.query(new GetUser(event.payload.userId));
    if (!customer) return;
    const { template, subject, body } = compose(customer);
    await apply(async (tx) => {
      await this.notifications.record(tx, {
        recipientUserId: customer.id,
        recipientEmail: customer.email,
        channel: 'email',
        template,
        subject,
        body,
        eventId: event.id,
      });
      await this.sender.send({
        channel: 'email',
        to: customer.email,
        subject,
        body,
        idempotencyKey: `${event.id}:${customer.id}`,
      });
    });
  }
}
