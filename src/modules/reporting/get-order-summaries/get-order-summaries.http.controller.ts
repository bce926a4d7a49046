import { Controller, Get } from '@nestjs/common';
import { z } from 'zod';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { pageSchemaOf, pagingFields } from '../../../platform/http/paging.js';
import { ValidQuery } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { GetOrderSummaries, type OrderSummaryPage } from '../contract.js';
import { SUMMARY_STATUSES } from '../domain/summary-status.js';
import { orderSummarySchema } from '../order-summary-view.schema.js';
import { fromBeforeTo, periodFields } from '../report-period.schema.js';

const listQuery = z
  .object({
    status: z.enum(SUMMARY_STATUSES).optional(),
    ...periodFields,
    ...pagingFields,
  })
  .strict()
  .superRefine(fromBeforeTo);

const pageSchema = pageSchemaOf(orderSummarySchema);

@Controller('api/v1/reporting/orders')
@Roles('admin')
export class GetOrderSummariesController {
  constructor(private readonly contracts: ContractBus) {}

  @Get()
  @ApiRoute({
    summary: 'List order summaries, newest placed first; from/to filter on the time an order was placed',
    tags: ['reporting'],
    response: pageSchema,
  })
  list(@ValidQuery(listQuery) query: z.infer<typeof listQuery>): Promise<OrderSummaryPage> {
    const { status, from, to, page, pageSize } = query;
    return this.contracts.query(new GetOrderSummaries({ status, placedFrom: from, placedBefore: to }, page, pageSize));
  }
}
