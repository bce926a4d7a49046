import { Controller, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { ValidBody, ValidParams } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { GetProduct } from '../../catalog/contract.js';
import type { StockView } from '../contract.js';
import { StockItemsRepository } from '../db/stock-items.repository.js';
import { CatalogUnavailableError, UnknownProductError } from '../domain/inventory-errors.js';
import { setStockSchema, type SetStockInput } from '../domain/stock-input.js';
import { skuParams, stockViewSchema } from '../stock-view.schema.js';

@Controller('api/v1/inventory')
export class SetStockController {
  constructor(
    private readonly stock: StockItemsRepository,
    private readonly contracts: ContractBus,
  ) {}

  /** Creates or replaces the on-hand figures of a SKU (201 when new, 200 when updated). */
  @Put(':sku')
  @Roles('admin')
  @ApiRoute({
    summary: 'Set the stock of a SKU',
    tags: ['inventory'],
    status: [201, 200],
    response: stockViewSchema,
    errors: {
      409:
        'The SKU is stock of another product (INVENTORY.SKU_BELONGS_TO_OTHER_PRODUCT), or the quantity would fall ' +
        'below what is reserved (INVENTORY.QUANTITY_BELOW_RESERVED).',
    },
  })
  async set(
    @ValidParams(skuParams) params: { sku: string },
    @ValidBody(setStockSchema) input: SetStockInput,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StockView> {
    // A write must refer to a real product, so here (unlike reads) catalog being down is an error.
    const product = await this.contracts.query(new GetProduct(input.productId)).catch(() => {
      throw new CatalogUnavailableError();
    });
    if (!product) throw new UnknownProductError(input.productId);
    const { stock, created } = await this.stock.set(params.sku, input);
    void reply.status(created ? 201 : 200);
    return stock;
  }
}
