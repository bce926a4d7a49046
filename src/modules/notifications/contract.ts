import { ContractQuery, Query } from '../../platform/contracts/index.js';

/** notifications' published language. It reacts to other modules' events; nobody calls it to send. */

export interface NotificationView {
  id: string;
  recipientUserId: string;
  channel: 'email';
  template: 'welcome' | 'stock_low';
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
