import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type PlatformResources } from './platform/platform.module.js';
import type { NotificationSender } from './modules/notifications/sender/notification-sender.js';
import type { PaymentProvider } from './modules/payments/provider/payment-provider.js';
import { CatalogModule } from './modules/catalog/catalog.module.js';
import { IdentityModule } from './modules/identity/identity.module.js';
import { InventoryModule } from './modules/inventory/inventory.module.js';
import { NotificationsModule } from './modules/notifications/notifications.module.js';
import { OrderingModule } from './modules/ordering/ordering.module.js';
import { PaymentsModule } from './modules/payments/payments.module.js';
import { ReportingModule } from './modules/reporting/reporting.module.js';
import { ShippingModule } from './modules/shipping/shipping.module.js';

/** Parts of the outside world the composition root can swap (real providers, or tests' fakes). */
export interface OutsideEdges {
  notificationSender?: NotificationSender;
  paymentProvider?: PaymentProvider;
}

/** Every module of the monolith, in the order their schemas are migrated. */
export const MONOLITH_MODULES = [
  'identity',
  'catalog',
  'inventory',
  'payments',
  'shipping',
  'ordering',
  'notifications',
  'reporting',
] as const;

/** The composition root: the only place (with src/extracted/) that imports module definitions. */
@Module({})
export class AppModule {
  static forRoot(resources: PlatformResources, edges: OutsideEdges = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(resources),
        IdentityModule.forRoot({ signingKeys: resources.signingKeys }),
        CatalogModule,
        InventoryModule,
        PaymentsModule.forRoot({ provider: edges.paymentProvider }),
        ShippingModule,
        OrderingModule,
        NotificationsModule.forRoot({ sender: edges.notificationSender }),
        ReportingModule,
      ],
    };
  }
}
