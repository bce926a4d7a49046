import { Controller, Get } from '@nestjs/common';
import { Public } from '../../../platform/auth/access-decorators.js';
import { ValidParams } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { GetProduct, type ProductView } from '../contract.js';
import { ProductNotFoundError } from '../domain/catalog-errors.js';
import { productIdParams, productViewSchema } from '../product-view.schema.js';
import { GetProductHandler } from './get-product.handler.js';

@Controller('api/v1/catalog/products')
export class GetProductController {
  constructor(private readonly handler: GetProductHandler) {}

  @Get(':id')
  @Public()
  @ApiRoute({ summary: 'Read one product', tags: ['catalog'], response: productViewSchema })
  async get(@ValidParams(productIdParams) params: { id: string }): Promise<ProductView> {
    const product = await this.handler.execute(new GetProduct(params.id));
    if (!product) throw new ProductNotFoundError(params.id);
    return product;
  }
}
