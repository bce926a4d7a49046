import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetSalesReport, type SalesReport } from '../contract.js';
import { OrderSummariesRepository } from '../db/order-summaries.repository.js';

/** From reporting's own table only: a confirmed summary carries its total and confirmation time. */
@QueryHandler(GetSalesReport)
export class GetSalesReportHandler implements IQueryHandler<GetSalesReport, SalesReport> {
  constructor(private readonly summaries: OrderSummariesRepository) {}

  async execute(query: GetSalesReport): Promise<SalesReport> {
    return { days: await this.summaries.salesByDay(query.from, query.before) };
  }
}
