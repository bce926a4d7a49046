import { Controller, Patch } from '@nestjs/common';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { ValidBody, ValidParams } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import type { ProductView } from '../contract.js';
import { ProductsRepository } from '../db/products.repository.js';
import { ProductNotFoundError } from '../domain/catalog-errors.js';
import { updateProductSchema, type UpdateProductInput } from '../domain/product-input.js';
import { productIdParams, productViewSchema } from '../product-view.schema.js';

@Controller('api/v1/catalog/products')
export class UpdateProductController {
  constructor(private readonly products: ProductsRepository) {}

  @Patch(':id')
  @Roles('admin')
  @ApiRoute({ summary: 'Change some fields of a product', tags: ['catalog'], response: productViewSchema })
  async update(
    @ValidParams(productIdParams) params: { id: string },
    @ValidBody(updateProductSchema) input: UpdateProductInput,
  ): Promise<ProductView> {
    const product = await this.products.update(params.id, input);
    if (!product) throw new ProductNotFoundError(params.id);
    return product;
  }
}
