import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetOrderSummaries, type OrderSummaryPage } from '../contract.js';
import { OrderSummariesRepository } from '../db/order-summaries.repository.js';

@QueryHandler(GetOrderSummaries)
export class GetOrderSummariesHandler implements IQueryHandler<GetOrderSummaries, OrderSummaryPage> {
  constructor(private readonly summaries: OrderSummariesRepository) {}

  execute(query: GetOrderSummaries): Promise<OrderSummaryPage> {
    return this.summaries.page(query.filter, query.page, query.pageSize);
  }
}
