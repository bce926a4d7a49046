import { Controller, HttpCode, Post } from '@nestjs/common';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { ValidBody } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import type { ProductView } from '../contract.js';
import { ProductsRepository } from '../db/products.repository.js';
import { createProductSchema, type CreateProductInput } from '../domain/product-input.js';
import { productViewSchema } from '../product-view.schema.js';

@Controller('api/v1/catalog/products')
export class CreateProductController {
  constructor(private readonly products: ProductsRepository) {}

  @Post()
  @HttpCode(201)
  @Roles('admin')
  @ApiRoute({ summary: 'Create a product', tags: ['catalog'], response: productViewSchema })
  create(@ValidBody(createProductSchema) input: CreateProductInput): Promise<ProductView> {
    return this.products.insert(input);
  }
}
