import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { groupedLookup } from '../../../platform/database/group-commit.js';
import { GetProducts, type ProductView } from '../contract.js';
import { ProductsRepository } from '../db/products.repository.js';

/**
 * The batched read other modules use for lists: one query, never one call per row.
 * Lookups asked while one runs (every order placed, every order projected) are
 * answered together by the next query.
 */
@QueryHandler(GetProducts)
export class GetProductsHandler implements IQueryHandler<GetProducts, ProductView[]> {
  private readonly lookup = groupedLookup<string, ProductView>(
    'product lookup',
    (ids) => this.products.findByIds(ids),
    (product) => product.id,
  );

  constructor(private readonly products: ProductsRepository) {}

  execute(query: GetProducts): Promise<ProductView[]> {
    return this.lookup([...new Set(query.productIds.map((id) => id.toLowerCase()))]); // ids come back lower-cased
  }
}
