import { Controller, Get } from '@nestjs/common';
import { z } from 'zod';
import { CurrentUser } from '../../../platform/auth/access-decorators.js';
import type { Principal } from '../../../platform/auth/principal.js';
import { pageSchemaOf, pagingFields } from '../../../platform/http/paging.js';
import { ValidQuery } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { OrdersRepository } from '../db/orders.repository.js';
import { orderViewSchema, type OrderView } from '../order-view.js';

const pageQuery = z.strictObject({
  ...pagingFields,
});

const pageSchema = pageSchemaOf(orderViewSchema);

@Controller('api/v1/orders')
export class ListOrdersController {
  constructor(private readonly orders: OrdersRepository) {}

  /** The caller's order history, newest first. */
  @Get()
  @ApiRoute({ summary: 'List my orders, newest first', tags: ['ordering'], response: pageSchema })
  async list(
    @CurrentUser() caller: Principal,
    @ValidQuery(pageQuery) query: z.infer<typeof pageQuery>,
  ): Promise<{ items: OrderView[]; page: number; pageSize: number; total: number }> {
    const { items, total } = await this.orders.pageOf(caller.userId, query.page, query.pageSize);
    return { items, page: query.page, pageSize: query.pageSize, total };
  }
}
