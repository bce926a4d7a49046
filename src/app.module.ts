import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type PlatformResources } from './platform/platform.module.js';
import { CatalogModule } from './modules/catalog/catalog.module.js';
import { IdentityModule } from './modules/identity/identity.module.js';
import { InventoryModule } from './modules/inventory/inventory.module.js';

/** Every module of the monolith, in the order their schemas are migrated. */
export const MONOLITH_MODULES = ['identity', 'catalog', 'inventory'] as const;

/** The composition root: the only place (with src/extracted/) that imports module definitions. */
@Module({})
export class AppModule {
  static forRoot(resources: PlatformResources): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(resources),
        IdentityModule.forRoot({ signingKeys: resources.signingKeys }),
        CatalogModule,
        InventoryModule,
      ],
    };
  }
}
