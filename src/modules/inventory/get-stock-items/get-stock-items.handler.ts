import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetStockItems, type StockView } from '../contract.js';
import { StockItemsRepository } from '../db/stock-items.repository.js';

/** The batched read ordering uses to check that each line's SKU is the product's: one query for all lines. */
@QueryHandler(GetStockItems)
export class GetStockItemsHandler implements IQueryHandler<GetStockItems, StockView[]> {
  constructor(private readonly stock: StockItemsRepository) {}

  execute(query: GetStockItems): Promise<StockView[]> {
    return this.stock.findBySkus([...new Set(query.skus)]);
  }
}
