import { Module, type DynamicModule } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';
import { AlertAdminsOfLowStock } from './alert-admins-of-low-stock/alert-admins-of-low-stock.handler.js';
import { ConfirmOrderToCustomer } from './confirm-order-to-customer/confirm-order-to-customer.handler.js';
import { CustomerMessenger } from './customer-messenger/customer-messenger.js';
import { NotificationsRepository } from './db/notifications.repository.js';
import { ListNotificationsController } from './list-notifications/list-notifications.http.controller.js';
import { ListNotificationsHandler } from './list-notifications/list-notifications.handler.js';
import { LogNotificationSender } from './sender/log-notification-sender.js';
import { NOTIFICATION_SENDER, type NotificationSender } from './sender/notification-sender.js';
import { SendTrackingNumber } from './send-tracking-number/send-tracking-number.handler.js';
import { TellCustomerOrderCancelled } from './tell-customer-order-cancelled/tell-customer-order-cancelled.handler.js';
import { TellCustomerPaymentFailed } from './tell-customer-payment-failed/tell-customer-payment-failed.handler.js';
import { WelcomeNewUser } from './welcome-new-user/welcome-new-user.handler.js';

export const NOTIFICATIONS = 'notifications';

/** Messages to users, sent in reaction to other modules' events. Owns the `notifications` schema. */
@Module({
  controllers: [ListNotificationsController],
  providers: [
    moduleDatabaseProvider(NOTIFICATIONS),
    NotificationsRepository,
    { provide: NOTIFICATION_SENDER, useClass: LogNotificationSender },
    WelcomeNewUser,
    AlertAdminsOfLowStock,
    CustomerMessenger,
    ConfirmOrderToCustomer,
    TellCustomerOrderCancelled,
    TellCustomerPaymentFailed,
    SendTrackingNumber,
    ListNotificationsHandler,
  ],
})
export class NotificationsModule {
  /** The composition root may plug in another sender (a real provider, or a test's fake). */
  static forRoot(options: { sender?: NotificationSender } = {}): DynamicModule {
    return {
      module: NotificationsModule,
      providers: options.sender ? [{ provide: NOTIFICATION_SENDER, useValue: options.sender }] : [],
    };
  }
}
