import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../../../platform/logging/logger.token.js';
import type { NotificationSender, OutgoingMessage } from './notification-sender.js';

/**
 * Default sender: logs that a message would be sent instead of sending it. The
 * recipient's address and the text are personal data: they appear only at debug
 * level, for a developer who asks for them (`LOG_LEVEL=debug`), never at info.
 */
@Injectable()
export class LogNotificationSender implements NotificationSender {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  async send(message: OutgoingMessage): Promise<void> {
    this.logger.info({ channel: message.channel, idempotencyKey: message.idempotencyKey }, 'notification sent');
    this.logger.debug({ to: message.to, subject: message.subject, body: message.body }, 'notification content');
  }
}
