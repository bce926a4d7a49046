/**
 * The outside edge notifications talk to (an email/SMS/push provider). The default
 * writes each message to the log; a real provider plugs in behind this interface.
 */
export interface OutgoingMessage {
  channel: 'email';
  to: string;
  subject: string;
  body: string;
  /** Lets a provider deduplicate a resend of the same message. */
  idempotencyKey: string;
}

export interface NotificationSender {
  send(message: OutgoingMessage): Promise<void>;
}

export const NOTIFICATION_SENDER = Symbol('NOTIFICATION_SENDER');
