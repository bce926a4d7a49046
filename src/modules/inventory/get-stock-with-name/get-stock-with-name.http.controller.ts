import { Controller, Get, Inject } from '@nestjs/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { ValidParams } from '../../../platform/http/validated-input.js';
import { LOGGER } from '../../../platform/logging/logger.token.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { GetProduct } from '../../catalog/contract.js';
import type { StockView } from '../contract.js';
import { StockItemsRepository } from '../db/stock-items.repository.js';
import { StockItemNotFoundError } from '../domain/inventory-errors.js';
import { skuParams, stockViewSchema } from '../stock-view.schema.js';

export const UNKNOWN_PRODUCT_NAME = 'Unknown';

export type StockWithName = StockView & {
  productName: string;
  /** What could not be fetched; empty when the answer is complete. */
  degraded: string[];
};

const responseSchema = stockViewSchema.extend({
  productName: z.string(),
  degraded: z.array(z.string()).describe('Parts that could not be fetched, e.g. ["productName"]'),
});

/**
 * The seed's GetStockWithName: stock from inventory's own table, the product name
 * from catalog through its contract. If catalog fails the answer still comes, with
 * "Unknown" and a `degraded` list saying what is missing: failure stays local.
 */
@Controller('api/v1/inventory')
export class GetStockWithNameController {
  constructor(
    private readonly stock: StockItemsRepository,
    private readonly contracts: ContractBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get(':sku')
  @ApiRoute({ summary: 'Read the stock of a SKU with its product name', tags: ['inventory'], response: responseSchema })
  async get(@ValidParams(skuParams) params: { sku: string }): Promise<StockWithName> {
    const stock = await this.stock.findBySku(params.sku);
    if (!stock) throw new StockItemNotFoundError(params.sku);
    try {
      const product = await this.contracts.query(new GetProduct(stock.productId));
      return { ...stock, productName: product?.name ?? UNKNOWN_PRODUCT_NAME, degraded: product ? [] : ['productName'] };
    } catch (error) {
      this.logger.warn({ err: error, sku: params.sku }, 'catalog.GetProduct failed; answering degraded');
      return { ...stock, productName: UNKNOWN_PRODUCT_NAME, degraded: ['productName'] };
    }
  }
}
