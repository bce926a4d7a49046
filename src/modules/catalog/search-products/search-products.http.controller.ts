import { Controller, Get } from '@nestjs/common';
import { z } from 'zod';
import { Public } from '../../../platform/auth/access-decorators.js';
import { pageSchemaOf, pagingFields } from '../../../platform/http/paging.js';
import { ValidQuery } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import type { ProductView } from '../contract.js';
import { ProductsRepository } from '../db/products.repository.js';
import { productViewSchema } from '../product-view.schema.js';

const searchQuery = z
  .object({
    q: z.string().trim().min(1).max(200).optional(),
    category: z.string().trim().min(1).max(100).optional(),
    tag: z.string().trim().min(1).max(50).optional(),
    ...pagingFields,
  })
  .strict();

const pageSchema = pageSchemaOf(productViewSchema);

@Controller('api/v1/catalog/products')
export class SearchProductsController {
  constructor(private readonly products: ProductsRepository) {}

  @Get()
  @Public()
  @ApiRoute({
    summary: 'List products, newest first, or by relevance to a full-text query `q`',
    tags: ['catalog'],
    response: pageSchema,
  })
  async search(
    @ValidQuery(searchQuery) query: z.infer<typeof searchQuery>,
  ): Promise<{ items: ProductView[]; page: number; pageSize: number; total: number }> {
    const { items, total } = await this.products.search({
      text: query.q,
      category: query.category,
      tag: query.tag,
      page: query.page,
      pageSize: query.pageSize,
    });
    return { items, page: query.page, pageSize: query.pageSize, total };
  }
}
