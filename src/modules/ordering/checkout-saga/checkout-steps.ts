import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { CommitStock, ReleaseStock, ReserveStock } from '../../inventory/contract.js';
import { ProcessPayment, RefundPayment } from '../../payments/contract.js';
import { CreateShipment } from '../../shipping/contract.js';
import type { OrderForCheckout } from '../db/orders.repository.js';
import type { Step } from '../domain/checkout-saga.js';

/**
 * The saga's calls to other modules, each through their contract with its own
 * deadline, each idempotent by order id on the callee's side, so a repeat after a
 * crash or a timeout is safe.
 */
@Injectable()
export class CheckoutSteps {
  constructor(
    private readonly contracts: ContractBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get options() {
    return { timeoutMs: this.config.checkout.stepTimeoutMs };
  }

  /** Runs a forward step; answers the shipment for `ship`. */
  async run(step: Step, order: OrderForCheckout): Promise<{ id: string; trackingNumber: string } | undefined> {
    switch (step) {
      case 'reserve':
        await this.contracts.execute(
          new ReserveStock(order.id, order.lines.map((line) => ({ sku: line.sku, quantity: line.quantity }))),
          this.options,
        );
        return undefined;
      case 'pay':
        await this.contracts.execute(new ProcessPayment(order.id, order.userId, order.total, order.paymentToken), this.options);
        return undefined;
      case 'ship': {
        const shipment = await this.contracts.execute(
          new CreateShipment(
            order.id,
            order.userId,
            order.shippingAddress,
            order.lines.map((line) => ({ productId: line.productId, sku: line.sku, quantity: line.quantity })),
          ),
          this.options,
        );
        return { id: shipment.id, trackingNumber: shipment.trackingNumber };
      }
    }
  }

  /** The reserved units leave stock: the last call before the order is confirmed. */
  async confirm(order: OrderForCheckout): Promise<void> {
    await this.contracts.execute(new CommitStock(order.id), this.options);
  }

  /**
   * Undoes a begun step. A shipment has nothing to undo: shipping is the last step,
   * so it is begun only after stock and payment, and a refusal creates nothing.
   */
  async compensate(step: Step, order: OrderForCheckout): Promise<void> {
    switch (step) {
      case 'reserve':
        await this.contracts.execute(new ReleaseStock(order.id), this.options);
        return;
      case 'pay':
        await this.contracts.execute(new RefundPayment(order.id), this.options);
        return;
      case 'ship':
        return;
    }
  }
}
