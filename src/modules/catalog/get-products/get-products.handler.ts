import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetProducts, type ProductView } from '../contract.js';
import { ProductsRepository } from '../db/products.repository.js';

/** The batched read other modules use for lists: one query, never one call per row. */
@QueryHandler(GetProducts)
export class GetProductsHandler implements IQueryHandler<GetProducts, ProductView[]> {
  constructor(private readonly products: ProductsRepository) {}

  execute(query: GetProducts): Promise<ProductView[]> {
    const ids = [...new Set(query.productIds)];
    return this.products.findByIds(ids);
  }
}
