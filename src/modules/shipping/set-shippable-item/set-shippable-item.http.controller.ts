import { Controller, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { ValidBody, ValidParams } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { GetProduct } from '../../catalog/contract.js';
import { ShippableItemsRepository } from '../db/shippable-items.repository.js';
import { shippableItemInputSchema, type ShippableItem, type ShippableItemInput } from '../domain/shippable-item.js';
import { CatalogUnavailableError, UnknownProductError } from '../domain/shipping-errors.js';
import { productIdParams, shippableItemViewSchema } from '../shipping-view.schema.js';

@Controller('api/v1/shipping/items')
export class SetShippableItemController {
  constructor(
    private readonly items: ShippableItemsRepository,
    private readonly contracts: ContractBus,
  ) {}

  /** Records or replaces a product's weight, size and hazard (201 when new, 200 when updated). */
  @Put(':productId')
  @Roles('admin')
  @ApiRoute({
    summary: "Set a product's shipping data",
    tags: ['shipping'],
    status: [201, 200],
    response: shippableItemViewSchema,
  })
  async set(
    @ValidParams(productIdParams) params: { productId: string },
    @ValidBody(shippableItemInputSchema) input: ShippableItemInput,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ShippableItem> {
    // Shipping data for a product that does not exist would be a trap for checkout, so
    // catalog must confirm it; if catalog cannot answer, refuse rather than guess.
    const product = await this.contracts.query(new GetProduct(params.productId)).catch(() => {
      throw new CatalogUnavailableError();
    });
    if (!product) throw new UnknownProductError(params.productId);
    const { item, created } = await this.items.upsert(params.productId, input);
    void reply.status(created ? 201 : 200);
    return item;
  }
}
