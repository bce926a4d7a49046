import { Module } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';
import { OrderSummariesRepository } from './db/order-summaries.repository.js';
import { GetOrderSummariesHandler } from './get-order-summaries/get-order-summaries.handler.js';
import { GetOrderSummariesController } from './get-order-summaries/get-order-summaries.http.controller.js';
import { GetSalesReportHandler } from './get-sales-report/get-sales-report.handler.js';
import { GetSalesReportController } from './get-sales-report/get-sales-report.http.controller.js';
import { OrderNames } from './project-orders/order-names.js';
import { ProjectOrders } from './project-orders/project-orders.handler.js';
import { RebuildOrderSummaries } from './rebuild-order-summaries/rebuild-order-summaries.js';
import { RebuildOrderSummariesController } from './rebuild-order-summaries/rebuild-order-summaries.http.controller.js';

export const REPORTING = 'reporting';

/**
 * Read models for the shop's operators (CQRS): order summaries projected from
 * ordering's events, with names from identity and catalog copied in, so reports never
 * call another module. Owns the `reporting` schema.
 */
@Module({
  controllers: [GetOrderSummariesController, GetSalesReportController, RebuildOrderSummariesController],
  providers: [
    moduleDatabaseProvider(REPORTING),
    OrderSummariesRepository,
    OrderNames,
    ProjectOrders,
    GetOrderSummariesHandler,
    GetSalesReportHandler,
    RebuildOrderSummaries,
  ],
})
export class ReportingModule {}
