import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { PlatformModule, type PlatformResources } from './platform/platform.module.js';
import { RoutingManifestModule } from './platform/http/routing-manifest.module.js';
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

/** Every module of the shop, in the order their schemas are migrated. */
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

export type ModuleName = (typeof MONOLITH_MODULES)[number];

/**
 * How each module is composed with what the composition root holds. The monolith
 * imports the modules it hosts; an extracted service imports one. Every module's
 * contract.ts is loaded either way (these imports pull them in), so each process
 * knows every contract type and every event route, wherever the module runs.
 */
const MODULE_DEFINITIONS: Record<ModuleName, (resources: PlatformResources, edges: OutsideEdges) => Type | DynamicModule> = {
  identity: (resources) => IdentityModule.forRoot({ signingKeys: resources.signingKeys }),
  catalog: () => CatalogModule,
  inventory: () => InventoryModule,
  payments: (_, edges) => PaymentsModule.forRoot({ provider: edges.paymentProvider }),
  shipping: () => ShippingModule,
  ordering: () => OrderingModule,
  notifications: (_, edges) => NotificationsModule.forRoot({ sender: edges.notificationSender }),
  reporting: () => ReportingModule,
};

/** The composition root: the only place (with src/extracted/) that imports module definitions. */
@Module({})
export class AppModule {
  /**
   * The platform and the modules `resources.placement` hosts here, and nothing of the
   * others; and the routing manifest, which every process derives from every module's
   * definition (hosted here or not), so each answers the same one.
   */
  static forRoot(resources: PlatformResources, edges: OutsideEdges = {}): DynamicModule {
    const hosted = resources.placement.hosted as readonly ModuleName[];
    const modules = MONOLITH_MODULES.map((name) => ({ name, definition: MODULE_DEFINITIONS[name](resources, edges) }));
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(resources),
        RoutingManifestModule.forRoot(modules),
        ...modules.filter((m) => hosted.includes(m.name)).map((m) => m.definition),
      ],
    };
  }
}
