import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetProduct, type ProductView } from '../contract.js';
import { ProductsRepository } from '../db/products.repository.js';

@QueryHandler(GetProduct)
export class GetProductHandler implements IQueryHandler<GetProduct, ProductView | null> {
  constructor(private readonly products: ProductsRepository) {}

  execute(query: GetProduct): Promise<ProductView | null> {
    return this.products.findById(query.productId);
  }
}
