import { Module } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';
import { moduleOutboxProvider } from '../../platform/events/outbox.js';
import { CommitStockHandler } from './commit-stock/commit-stock.handler.js';
import { ReservationsRepository } from './db/reservations.repository.js';
import { StockItemsRepository } from './db/stock-items.repository.js';
import { GetStockHandler } from './get-stock/get-stock.handler.js';
import { GetStockItemsHandler } from './get-stock-items/get-stock-items.handler.js';
import { GetStockWithNameController } from './get-stock-with-name/get-stock-with-name.http.controller.js';
import { ReleaseStockHandler } from './release-stock/release-stock.handler.js';
import { ReserveStockHandler } from './reserve-stock/reserve-stock.handler.js';
import { SetStockController } from './set-stock/set-stock.http.controller.js';

export const INVENTORY = 'inventory';

/** Stock items per SKU: quantities, reservations per order, locations. Owns the `inventory` schema. */
@Module({
  controllers: [SetStockController, GetStockWithNameController],
  providers: [
    moduleDatabaseProvider(INVENTORY),
    moduleOutboxProvider(INVENTORY),
    StockItemsRepository,
    ReservationsRepository,
    GetStockHandler,
    GetStockItemsHandler,
    ReserveStockHandler,
    ReleaseStockHandler,
    CommitStockHandler,
  ],
})
export class InventoryModule {}
