import type { NotificationSender, OutgoingMessage } from '../../src/modules/notifications/sender/notification-sender.js';

/**
 * A stand-in for the email provider (a true outside edge). Documented behaviour:
 * it records every message it accepts, and refuses (throws) any message to an
 * address in `unreachable` until `heal()` is called, like a provider outage for
 * one recipient.
 */
export class FakeNotificationSender implements NotificationSender {
  readonly sent: OutgoingMessage[] = [];
  readonly unreachable = new Set<string>();
  attemptsTo = new Map<string, number>();

  async send(message: OutgoingMessage): Promise<void> {
    this.attemptsTo.set(message.to, (this.attemptsTo.get(message.to) ?? 0) + 1);
    if (this.unreachable.has(message.to)) throw new Error(`provider refused ${message.to}`);
    this.sent.push(message);
  }

  heal(): void {
    this.unreachable.clear();
  }
}
