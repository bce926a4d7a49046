import { Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { CurrentUser } from '../../../platform/auth/access-decorators.js';
import type { Principal } from '../../../platform/auth/principal.js';
import { ValidBody, ValidHeaders } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { idempotencyHeaders, placeOrderSchema, type PlaceOrderInput } from '../domain/place-order-input.js';
import { orderViewSchema, type OrderView } from '../order-view.js';
import { PlaceOrder } from './place-order.service.js';

@Controller('api/v1/orders')
export class PlaceOrderController {
  constructor(private readonly placeOrder: PlaceOrder) {}

  /**
   * 202 Accepted: the order is stored PENDING and checkout runs in the background;
   * `Location` is where to follow it. A repeat with the same Idempotency-Key and body
   * answers the same order.
   */
  @Post()
  @HttpCode(202)
  @ApiRoute({
    summary: 'Place an order (checkout runs asynchronously)',
    tags: ['ordering'],
    response: orderViewSchema,
    headers: { Location: 'Where to follow the order until CONFIRMED or CANCELLED: `/api/v1/orders/{id}`.' },
    errors: {
      409: 'This Idempotency-Key was used for a different order request (ORDERING.IDEMPOTENCY_KEY_REUSED).',
    },
  })
  async place(
    @CurrentUser() caller: Principal,
    @ValidHeaders(idempotencyHeaders) headers: z.infer<typeof idempotencyHeaders>,
    @ValidBody(placeOrderSchema) input: PlaceOrderInput,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    const order = await this.placeOrder.place(caller.userId, headers['idempotency-key'], input);
    void reply.header('Location', `/api/v1/orders/${order.id}`);
    return order;
  }
}
