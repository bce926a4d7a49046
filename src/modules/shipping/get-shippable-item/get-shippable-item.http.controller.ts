import { Controller, Get } from '@nestjs/common';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { ValidParams } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { ShippableItemsRepository } from '../db/shippable-items.repository.js';
import type { ShippableItem } from '../domain/shippable-item.js';
import { ShippableItemNotFoundError } from '../domain/shipping-errors.js';
import { productIdParams, shippableItemViewSchema } from '../shipping-view.schema.js';

@Controller('api/v1/shipping/items')
export class GetShippableItemController {
  constructor(private readonly items: ShippableItemsRepository) {}

  @Get(':productId')
  @Roles('admin')
  @ApiRoute({ summary: "Read a product's shipping data", tags: ['shipping'], response: shippableItemViewSchema })
  async get(@ValidParams(productIdParams) params: { productId: string }): Promise<ShippableItem> {
    const item = await this.items.find(params.productId);
    if (!item) throw new ShippableItemNotFoundError(params.productId);
    return item;
  }
}
