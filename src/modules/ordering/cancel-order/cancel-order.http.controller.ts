import { Controller, HttpCode, Post } from '@nestjs/common';
import { CurrentUser } from '../../../platform/auth/access-decorators.js';
import type { Principal } from '../../../platform/auth/principal.js';
import { ValidParams } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { CheckoutSagaRunner } from '../checkout-saga/checkout-saga.runner.js';
import { CheckoutSagasRepository } from '../db/checkout-sagas.repository.js';
import { OrdersRepository } from '../db/orders.repository.js';
import { OrderNotCancellableError, OrderNotFoundError } from '../domain/order-errors.js';
import { orderIdParams, orderViewSchema, type OrderView } from '../order-view.js';

@Controller('api/v1/orders')
export class CancelOrderController {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly sagas: CheckoutSagasRepository,
    private readonly runner: CheckoutSagaRunner,
  ) {}

  /**
   * 202: the cancellation is recorded and the checkout undoes what it did (refund,
   * release) at its next step; follow the order until CANCELLED. Repeating it is
   * harmless. Once payment is done and the shipment is being created (or later), 409.
   */
  @Post(':id/cancel')
  @HttpCode(202)
  @ApiRoute({
    summary: 'Cancel my order while checkout is still running',
    tags: ['ordering'],
    response: orderViewSchema,
    errors: {
      409:
        'The order can no longer be cancelled: it is confirmed, or its shipment is being created ' +
        '(ORDERING.ORDER_NOT_CANCELLABLE).',
    },
  })
  async cancel(@CurrentUser() caller: Principal, @ValidParams(orderIdParams) params: { id: string }): Promise<OrderView> {
    const order = await this.orders.findById(params.id);
    if (!order || order.userId !== caller.userId) throw new OrderNotFoundError(params.id);
    const saga = await this.sagas.requestCancel(params.id);
    if (!saga) throw new OrderNotFoundError(params.id);
    const cancelling = saga.cancelRequested || saga.failureReason !== null || saga.state === 'CANCELLED' || saga.state === 'COMPENSATING';
    if (!cancelling) throw new OrderNotCancellableError(order.status);
    if (!this.runner.isDriving(params.id)) void this.runner.drive(params.id);
    return (await this.orders.findById(params.id))!;
  }
}
