import { ContractQuery, Query } from '../../platform/contracts/index.js';

/** notifications' published language. It reacts to other modules' events; nobody calls it to send. */

/** What a notification was about; one template per reason to write. */
export const NOTIFICATION_TEMPLATES = [
  'welcome',
  'stock_low',
  'order_confirmed',
  'order_cancelled',
  'payment_failed',
  'shipment_created',
] as const;

export type NotificationTemplate = (typeof NOTIFICATION_TEMPLATES)[number];

export interface NotificationView {
  id: string;
  recipientUserId: string;
  channel: 'email';
  template: NotificationTemplate;
  subject: string;
  body: string;
  /** The event that caused it. */
  eventId: string;
  sentAt: string;
}

export interface NotificationPage {
  items: NotificationView[];
  page: number;
  pageSize: number;
  total: number;
}

/** A user's own notifications, newest first. */
@ContractQuery('notifications', 'ListNotifications')
export class ListNotifications extends Query<NotificationPage> {
  constructor(
    public readonly userId: string,
    public readonly page: number,
    public readonly pageSize: number,
  ) {
    super();
  }
}
