import { Controller, Get } from '@nestjs/common';
import { z } from 'zod';
import { Roles } from '../../../platform/auth/access-decorators.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { ValidQuery } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { GetSalesReport, type SalesReport } from '../contract.js';
import { fromBeforeTo, periodFields } from '../report-period.schema.js';

const salesQuery = z.object(periodFields).strict().superRefine(fromBeforeTo);

const reportSchema = z.object({
  days: z.array(
    z.object({
      date: z.string().describe('UTC day of confirmation, YYYY-MM-DD'),
      currency: z.string(),
      orders: z.number().int(),
      revenue: z.number().int().describe('Sum of the totals, in minor units'),
    }),
  ),
});

@Controller('api/v1/reporting/sales')
@Roles('admin')
export class GetSalesReportController {
  constructor(private readonly contracts: ContractBus) {}

  @Get()
  @ApiRoute({
    summary: 'Daily totals of confirmed orders per currency; from/to filter on the time of confirmation',
    tags: ['reporting'],
    response: reportSchema,
  })
  report(@ValidQuery(salesQuery) query: z.infer<typeof salesQuery>): Promise<SalesReport> {
    return this.contracts.query(new GetSalesReport(query.from, query.to));
  }
}
