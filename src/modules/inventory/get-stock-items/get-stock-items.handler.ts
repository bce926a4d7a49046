import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { groupedLookup } from '../../../platform/database/group-commit.js';
import { GetStockItems, type StockView } from '../contract.js';
import { StockItemsRepository } from '../db/stock-items.repository.js';

/**
 * The batched read ordering uses to check that each line's SKU is the product's: one
 * query for all lines, and for the lines of every order placed meanwhile.
 */
@QueryHandler(GetStockItems)
export class GetStockItemsHandler implements IQueryHandler<GetStockItems, StockView[]> {
  private readonly lookup = groupedLookup<string, StockView>('stock item lookup', (skus) => this.stock.findBySkus(skus), (item) => item.sku);

  constructor(private readonly stock: StockItemsRepository) {}

  execute(query: GetStockItems): Promise<StockView[]> {
    return this.lookup([...new Set(query.skus)]);
  }
}
