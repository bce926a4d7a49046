import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FieldProblem } from '../../../platform/contracts/index.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { GetProducts, type ProductView } from '../../catalog/contract.js';
import { CheckoutSagaRunner } from '../checkout-saga/checkout-saga.runner.js';
import type { OrderLineView } from '../contract.js';
import { OrdersRepository } from '../db/orders.repository.js';
import { CatalogUnavailableError, IdempotencyKeyReusedError, UnorderableLinesError } from '../domain/order-errors.js';
import { requestHashOf, type PlaceOrderInput } from '../domain/place-order-input.js';
import type { OrderView } from '../order-view.js';

/**
 * Places an order once per (customer, Idempotency-Key): the same key with the same
 * request answers the first order, with another request 409. Prices come from
 * catalog in one batched call; the order is stored PENDING with its saga and
 * OrderPlaced in one transaction, and the saga starts right after the commit.
 */
@Injectable()
export class PlaceOrder {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly contracts: ContractBus,
    private readonly runner: CheckoutSagaRunner,
  ) {}

  async place(userId: string, idempotencyKey: string, input: PlaceOrderInput): Promise<OrderView> {
    const requestHash = requestHashOf(input);
    const earlier = await this.orders.findByKey(userId, idempotencyKey);
    if (earlier) return this.sameRequest(earlier, requestHash);

    const lines = await this.price(input);
    const total = { amount: lines.reduce((sum, l) => sum + l.unitPrice.amount * l.quantity, 0), currency: lines[0]!.unitPrice.currency };
    const placed = await this.orders.place({
      id: randomUUID(),
      userId,
      idempotencyKey,
      requestHash,
      lines,
      total,
      shippingAddress: input.shippingAddress,
      paymentToken: input.paymentToken,
      sagaOwner: { owner: this.runner.owner, leaseMs: this.runner.leaseMs },
    });
    if (!placed.created) return this.sameRequest(placed, requestHash);
    void this.runner.drive(placed.view.id, { saga: placed.saga!, order: { ...placed.view, paymentToken: input.paymentToken } });
    return placed.view;
  }

  private sameRequest(order: { row: { requestHash: string }; view: OrderView }, requestHash: string): OrderView {
    if (order.row.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
    return order.view;
  }

  private async price(input: PlaceOrderInput): Promise<OrderLineView[]> {
    let products: ProductView[];
    try {
      products = await this.contracts.query(new GetProducts(input.lines.map((line) => line.productId)));
    } catch {
      throw new CatalogUnavailableError();
    }
    const byId = new Map(products.map((p) => [p.id, p]));
    const problems: FieldProblem[] = input.lines.flatMap((line, i) =>
      byId.has(line.productId) ? [] : [{ field: `lines.${i}.productId`, message: 'no such product in the catalog' }],
    );
    const currencies = new Set(products.map((p) => p.price.currency));
    if (currencies.size > 1) problems.push({ field: 'lines', message: 'all products of one order must share a currency' });
    if (problems.length) throw new UnorderableLinesError(problems);
    return input.lines.map((line) => {
      const product = byId.get(line.productId)!;
      return { productId: line.productId, sku: line.sku, quantity: line.quantity, unitPrice: product.price, productName: product.name };
    });
  }
}
