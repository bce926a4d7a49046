import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FieldProblem, Money } from '../../../platform/contracts/index.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { GetProducts, type ProductView } from '../../catalog/contract.js';
import { GetStockItems } from '../../inventory/contract.js';
import { CheckoutSagaRunner } from '../checkout-saga/checkout-saga.runner.js';
import type { OrderLineView } from '../contract.js';
import { OrdersRepository } from '../db/orders.repository.js';
import {
  CatalogUnavailableError,
  IdempotencyKeyReusedError,
  InventoryUnavailableError,
  UnorderableLinesError,
} from '../domain/order-errors.js';
import { totalOf, totalProblem } from '../domain/order-total.js';
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

    const { lines, total } = await this.price(input);
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

  /**
   * Prices each line from catalog and checks with inventory that its SKU is stock of
   * that very product (so nobody pays for one product and receives another), in two
   * batched calls made together.
   */
  private async price(input: PlaceOrderInput): Promise<{ lines: OrderLineView[]; total: Money }> {
    const [catalog, inventory] = await Promise.allSettled([
      this.contracts.query(new GetProducts(input.lines.map((line) => line.productId))),
      this.contracts.query(new GetStockItems(input.lines.map((line) => line.sku))),
    ]);
    if (catalog.status === 'rejected') throw new CatalogUnavailableError();
    if (inventory.status === 'rejected') throw new InventoryUnavailableError();
    const products: ProductView[] = catalog.value;
    const productOfSku = new Map(inventory.value.map((item) => [item.sku, item.productId]));
    const byId = new Map(products.map((p) => [p.id, p]));
    const problems: FieldProblem[] = input.lines.flatMap((line, i) => {
      if (!byId.has(line.productId)) return [{ field: `lines.${i}.productId`, message: 'no such product in the catalog' }];
      const owner = productOfSku.get(line.sku);
      if (owner === undefined) return [{ field: `lines.${i}.sku`, message: 'no stock item has this SKU' }];
      if (owner !== line.productId) return [{ field: `lines.${i}.sku`, message: 'this SKU is stock of another product' }];
      return [];
    });
    const currencies = new Set(products.map((p) => p.price.currency));
    if (currencies.size > 1) problems.push({ field: 'lines', message: 'all products of one order must share a currency' });
    if (problems.length) throw new UnorderableLinesError(problems);
    const lines = input.lines.map((line) => {
      const product = byId.get(line.productId)!;
      return { productId: line.productId, sku: line.sku, quantity: line.quantity, unitPrice: product.price, productName: product.name };
    });
    const total = totalOf(lines);
    const problem = totalProblem(total.amount);
    if (problem) throw new UnorderableLinesError([{ field: 'lines', message: problem }]);
    return { lines, total };
  }
}
