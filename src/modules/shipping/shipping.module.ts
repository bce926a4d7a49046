import { Module } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';
import { moduleOutboxProvider } from '../../platform/events/outbox.js';
import { CreateShipmentHandler } from './create-shipment/create-shipment.handler.js';
import { ShipmentsRepository } from './db/shipments.repository.js';
import { ShippableItemsRepository } from './db/shippable-items.repository.js';
import { GetShipmentHandler } from './get-shipment/get-shipment.handler.js';
import { TrackShipmentController } from './get-shipment/track-shipment.http.controller.js';
import { GetShippableItemController } from './get-shippable-item/get-shippable-item.http.controller.js';
import { SetShippableItemController } from './set-shippable-item/set-shippable-item.http.controller.js';

export const SHIPPING = 'shipping';

/**
 * Shipments and the shipping view of products (weight, size, hazard), kept apart from
 * catalog's Product and referred to by product id. Owns the `shipping` schema.
 */
@Module({
  controllers: [SetShippableItemController, GetShippableItemController, TrackShipmentController],
  providers: [
    moduleDatabaseProvider(SHIPPING),
    moduleOutboxProvider(SHIPPING),
    ShippableItemsRepository,
    ShipmentsRepository,
    CreateShipmentHandler,
    GetShipmentHandler,
  ],
})
export class ShippingModule {}
