import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../../../platform/logging/logger.token.js';
import type { NotificationSender, OutgoingMessage } from './notification-sender.js';

/** Default sender: logs the message (recipient, subject, key) instead of sending it. */
@Injectable()
export class LogNotificationSender implements NotificationSender {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  async send(message: OutgoingMessage): Promise<void> {
    this.logger.info(
      { channel: message.channel, to: message.to, subject: message.subject, idempotencyKey: message.idempotencyKey },
      'notification sent',
    );
  }
}
