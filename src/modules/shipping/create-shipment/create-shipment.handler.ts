import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { failed, GroupCommit, succeeded, type ItemOutcome } from '../../../platform/database/group-commit.js';
import type { RequestContext } from '../../../platform/logging/request-context.js';
import { CreateShipment, type ShipmentView } from '../contract.js';
import { ShipmentsRepository, type ShipmentToCreate } from '../db/shipments.repository.js';
import { ShippableItemsRepository } from '../db/shippable-items.repository.js';
import { planShipment } from '../domain/shipment-plan.js';
import { parseShipmentRequest, type ShipmentRequest } from '../domain/shipment-request.js';
import { newTrackingNumber } from './tracking-number.js';

/** What one request of a batch came to, before the batch's writes. */
type Decision = { answer: ItemOutcome<ShipmentView> } | { createdFor: string };

/**
 * Ordering's checkout asks for the shipment; a retried or concurrent step gets the same one.
 *
 * Concurrent requests are group-committed: each batch costs one transaction, one read
 * of the orders' shipments, one read of the products' shipping data, one insert and
 * one outbox write, however many orders it holds (see GroupCommit).
 */
@CommandHandler(CreateShipment)
export class CreateShipmentHandler implements ICommandHandler<CreateShipment, ShipmentView> {
  private readonly batches = new GroupCommit<ShipmentRequest, ShipmentView>({
    name: 'CreateShipment',
    run: (requests, callers) => this.createAll(requests, callers),
  });

  constructor(
    private readonly shipments: ShipmentsRepository,
    private readonly items: ShippableItemsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(command: CreateShipment): Promise<ShipmentView> {
    // A malformed command fails here, on its own, before it joins a batch.
    const request = parseShipmentRequest(command);
    // Batches match rows to callers by order id, and PostgreSQL answers uuids in lower case.
    return this.batches.submit({ ...request, orderId: request.orderId.toLowerCase() });
  }

  /**
   * Decides each request in the order they came, exactly as one call after another
   * would have: a refused request fails alone and writes nothing, a repeat of an order
   * (from before or earlier in this batch) answers that order's one shipment.
   */
  private createAll(requests: ShipmentRequest[], callers: (RequestContext | undefined)[]): Promise<ItemOutcome<ShipmentView>[]> {
    return this.shipments.transaction(async (tx) => {
      // A repeat answers what was decided then, even if item data or config changed since.
      const existing = await this.shipments.findByOrderIds(distinct(requests.map((request) => request.orderId)), tx);
      const toPlan = requests.filter((request) => !existing.has(request.orderId));
      const items = await this.items.findMany(distinct(toPlan.flatMap((request) => request.lines.map((line) => line.productId))), tx);

      const toCreate = new Map<string, ShipmentToCreate>();
      const decisions = requests.map((request, i): Decision => {
        const shipment = existing.get(request.orderId);
        if (shipment) return { answer: succeeded(shipment) };
        if (toCreate.has(request.orderId)) return { createdFor: request.orderId };
        try {
          const plan = planShipment(request.address, request.lines, items, this.config.shipping);
          toCreate.set(request.orderId, {
            shipment: { ...request, ...plan, trackingNumber: newTrackingNumber() },
            caller: callers[i],
          });
          return { createdFor: request.orderId };
        } catch (refusal) {
          // Not shippable: this request alone fails; a later one for the order is decided afresh.
          return { answer: failed(refusal) };
        }
      });

      const created = await this.shipments.createEach(tx, [...toCreate.values()]);
      return decisions.map((decision) => ('answer' in decision ? decision.answer : succeeded(created.get(decision.createdFor)!)));
    });
  }
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}
