import { ContractQuery, defineSubscription, Query } from '../../platform/contracts/index.js';
import { UserRegistered } from '../identity/contract.js';
import { StockLow } from '../inventory/contract.js';
import { OrderCancelled, OrderConfirmed } from '../ordering/contract.js';
import { PaymentFailed } from '../payments/contract.js';
import { ShipmentCreated } from '../shipping/contract.js';

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

/**
 * The events notifications reacts to. Declared here rather than only on the handlers so
 * that every process knows these routes, whether or not it hosts notifications. Each
 * name is stable: it keys the inbox rows, queue jobs and dead letters of its consumer.
 */
export const NotificationsSubscriptions = {
  WelcomeNewUser: defineSubscription('notifications', 'WelcomeNewUser', UserRegistered),
  AlertAdminsOfLowStock: defineSubscription('notifications', 'AlertAdminsOfLowStock', StockLow),
  ConfirmOrderToCustomer: defineSubscription('notifications', 'ConfirmOrderToCustomer', OrderConfirmed),
  TellCustomerOrderCancelled: defineSubscription('notifications', 'TellCustomerOrderCancelled', OrderCancelled),
  TellCustomerPaymentFailed: defineSubscription('notifications', 'TellCustomerPaymentFailed', PaymentFailed),
  SendTrackingNumber: defineSubscription('notifications', 'SendTrackingNumber', ShipmentCreated),
} as const;

/** notifications raises no domain error of its own (bad paging input is the platform's VALIDATION_FAILED). */
export const NotificationsErrors = {} as const;
