import { Module } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';
import { moduleOutboxProvider } from '../../platform/events/outbox.js';
import { CancelOrderController } from './cancel-order/cancel-order.http.controller.js';
import { CheckoutSagaResumer } from './checkout-saga/checkout-saga.resumer.js';
import { CheckoutSagaRunner } from './checkout-saga/checkout-saga.runner.js';
import { CheckoutSteps } from './checkout-saga/checkout-steps.js';
import { CheckoutSagasController } from './checkout-sagas/checkout-sagas.http.controller.js';
import { CheckoutSagasRepository } from './db/checkout-sagas.repository.js';
import { OrdersRepository } from './db/orders.repository.js';
import { GetOrderController } from './get-order/get-order.http.controller.js';
import { OrderDetailsComposer } from './get-order/order-details.js';
import { ListOrdersController } from './list-orders/list-orders.http.controller.js';
import { PlaceOrderController } from './place-order/place-order.http.controller.js';
import { PlaceOrder } from './place-order/place-order.service.js';
import { ReplayOrderEventsHandler } from './replay-order-events/replay-order-events.handler.js';

export const ORDERING = 'ordering';

/** Orders and the checkout saga that orchestrates inventory, payments and shipping. Owns the `ordering` schema. */
@Module({
  // The operators' static route is registered before `:id` ones.
  controllers: [CheckoutSagasController, PlaceOrderController, ListOrdersController, GetOrderController, CancelOrderController],
  providers: [
    moduleDatabaseProvider(ORDERING),
    moduleOutboxProvider(ORDERING),
    OrdersRepository,
    CheckoutSagasRepository,
    CheckoutSteps,
    CheckoutSagaRunner,
    CheckoutSagaResumer,
    PlaceOrder,
    OrderDetailsComposer,
    ReplayOrderEventsHandler,
  ],
})
export class OrderingModule {}
