import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { LOGGER } from '../../../platform/logging/logger.token.js';
import { GetProducts } from '../../catalog/contract.js';
import { GetUser } from '../../identity/contract.js';
import type { OrderView } from '../order-view.js';

export const UNKNOWN = 'Unknown';

export type OrderDetails = OrderView & {
  userName: string;
  /** What could not be fetched (`userName`, `productNames`); empty when complete. */
  degraded: string[];
};

/**
 * API composition: the order from ordering's own tables, the customer's name from
 * identity and the products' current names from catalog, through their contracts and
 * in parallel. A failing lookup costs its part only: "Unknown" and a `degraded` entry.
 * Each lookup has the contract bus's deadline (CONTRACT_CALL_TIMEOUT_MS), as every
 * other composed read in the shop does.
 */
@Injectable()
export class OrderDetailsComposer {
  constructor(
    private readonly contracts: ContractBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async compose(order: OrderView): Promise<OrderDetails> {
    const [user, products] = await Promise.allSettled([
      this.contracts.query(new GetUser(order.userId)),
      this.contracts.query(new GetProducts(order.lines.map((line) => line.productId))),
    ]);
    const degraded: string[] = [];
    if (user.status === 'rejected') {
      this.logger.warn({ err: user.reason, orderId: order.id }, 'identity.GetUser failed; answering degraded');
      degraded.push('userName');
    }
    if (products.status === 'rejected') {
      this.logger.warn({ err: products.reason, orderId: order.id }, 'catalog.GetProducts failed; answering degraded');
      degraded.push('productNames');
    }
    const names = new Map(products.status === 'fulfilled' ? products.value.map((p) => [p.id, p.name]) : []);
    return {
      ...order,
      userName: (user.status === 'fulfilled' && user.value?.name) || UNKNOWN,
      lines: order.lines.map((line) => ({ ...line, productName: names.get(line.productId) ?? UNKNOWN })),
      degraded,
    };
  }
}
