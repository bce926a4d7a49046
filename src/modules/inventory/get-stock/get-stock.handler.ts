import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetStock, type StockView } from '../contract.js';
import { StockItemsRepository } from '../db/stock-items.repository.js';

@QueryHandler(GetStock)
export class GetStockHandler implements IQueryHandler<GetStock, StockView | null> {
  constructor(private readonly stock: StockItemsRepository) {}

  execute(query: GetStock): Promise<StockView | null> {
    return this.stock.findBySku(query.sku);
  }
}
