import { Controller, Get } from '@nestjs/common';
import { z } from 'zod';
import { CurrentUser } from '../../../platform/auth/access-decorators.js';
import type { Principal } from '../../../platform/auth/principal.js';
import { ValidParams } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { OrdersRepository } from '../db/orders.repository.js';
import { OrderNotFoundError } from '../domain/order-errors.js';
import { orderIdParams, orderViewSchema } from '../order-view.js';
import { OrderDetailsComposer, type OrderDetails } from './order-details.js';

const detailsSchema = orderViewSchema.extend({
  userName: z.string(),
  degraded: z.array(z.string()).describe('Parts that could not be fetched, e.g. ["userName"]'),
});

@Controller('api/v1/orders')
export class GetOrderController {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly details: OrderDetailsComposer,
  ) {}

  /** The caller's own order (admins see any); someone else's is 404, as if it did not exist. */
  @Get(':id')
  @ApiRoute({ summary: 'Read an order with its status, customer and product names', tags: ['ordering'], response: detailsSchema })
  async get(@CurrentUser() caller: Principal, @ValidParams(orderIdParams) params: { id: string }): Promise<OrderDetails> {
    const order = await this.orders.findById(params.id);
    if (!order || (order.userId !== caller.userId && !caller.roles.includes('admin'))) throw new OrderNotFoundError(params.id);
    return this.details.compose(order);
  }
}
