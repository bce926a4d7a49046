import { Module } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';
import { moduleOutboxProvider } from '../../platform/events/outbox.js';
import { CreateProductController } from './create-product/create-product.http.controller.js';
import { ProductsRepository } from './db/products.repository.js';
import { GetProductHandler } from './get-product/get-product.handler.js';
import { GetProductController } from './get-product/get-product.http.controller.js';
import { GetProductsHandler } from './get-products/get-products.handler.js';
import { SearchProductsController } from './search-products/search-products.http.controller.js';
import { UpdateProductController } from './update-product/update-product.http.controller.js';

export const CATALOG = 'catalog';

/** Products, their prices and full-text search. Owns the `catalog` schema. */
@Module({
  controllers: [CreateProductController, UpdateProductController, GetProductController, SearchProductsController],
  providers: [moduleDatabaseProvider(CATALOG), moduleOutboxProvider(CATALOG), ProductsRepository, GetProductHandler, GetProductsHandler],
})
export class CatalogModule {}
