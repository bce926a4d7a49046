import { Module, type DynamicModule } from '@nestjs/common';
import { ROUTING_MANIFEST, RoutingManifestController } from './routing-manifest.http.controller.js';
import { routingManifestOf, type DeclaredModule } from './routing-manifest.js';

/**
 * Serves the routing manifest of every module of the shop, hosted here or not. The
 * composition root hands it the modules' definitions (the platform imports no module).
 */
@Module({})
export class RoutingManifestModule {
  static forRoot(modules: readonly DeclaredModule[]): DynamicModule {
    return {
      module: RoutingManifestModule,
      controllers: [RoutingManifestController],
      providers: [{ provide: ROUTING_MANIFEST, useValue: routingManifestOf(modules) }],
    };
  }
}
