import { Inject, Injectable } from '@nestjs/common';
import type { EventEnvelope } from '../../../platform/contracts/index.js';
import { OnIntegrationEvent, type ApplyOnce } from '../../../platform/events/subscriptions.js';
import type { UserRegisteredPayload } from '../../identity/contract.js';
import { NotificationsSubscriptions } from '../contract.js';
import { NotificationsRepository } from '../db/notifications.repository.js';
import { NOTIFICATION_SENDER, type NotificationSender } from '../sender/notification-sender.js';

/**
 * Welcomes every new customer. The message is stored and handed to the sender in the
 * same transaction as the inbox entry: if sending fails, nothing is recorded and the
 * event is retried, so a customer may (rarely) get a welcome twice but never none.
 */
@Injectable()
export class WelcomeNewUser {
  constructor(
    private readonly notifications: NotificationsRepository,
    @Inject(NOTIFICATION_SENDER) private readonly sender: NotificationSender,
  ) {}

  @OnIntegrationEvent(NotificationsSubscriptions.WelcomeNewUser)
  async handle(event: EventEnvelope<UserRegisteredPayload>, apply: ApplyOnce): Promise<void> {
    const { userId, email, name } = event.payload;
    const subject = 'Welcome to the shop';
    const body = `Hello ${name}, your account is ready.`;
    await apply(async (tx) => {
      await this.notifications.record(tx, {
        recipientUserId: userId,
        recipientEmail: email,
        channel: 'email',
        template: 'welcome',
        subject,
        body,
        eventId: event.id,
      });
      await this.sender.send({ channel: 'email', to: email, subject, body, idempotencyKey: `${event.id}:${userId}` });
    });
  }
}
