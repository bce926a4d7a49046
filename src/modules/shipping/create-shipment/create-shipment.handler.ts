import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { CreateShipment, type ShipmentView } from '../contract.js';
import { ShipmentsRepository } from '../db/shipments.repository.js';
import { ShippableItemsRepository } from '../db/shippable-items.repository.js';
import { planShipment } from '../domain/shipment-plan.js';
import { parseShipmentRequest } from '../domain/shipment-request.js';
import { newTrackingNumber } from './tracking-number.js';

/** Ordering's checkout asks for the shipment; a retried or concurrent step gets the same one. */
@CommandHandler(CreateShipment)
export class CreateShipmentHandler implements ICommandHandler<CreateShipment, ShipmentView> {
  constructor(
    private readonly shipments: ShipmentsRepository,
    private readonly items: ShippableItemsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute(command: CreateShipment): Promise<ShipmentView> {
    const request = parseShipmentRequest(command);
    // A repeat answers what was decided then, even if item data or config changed since.
    const existing = await this.shipments.findByOrderId(request.orderId);
    if (existing) return existing;
    const items = await this.items.findMany([...new Set(request.lines.map((line) => line.productId))]);
    const plan = planShipment(request.address, request.lines, items, this.config.shipping);
    return this.shipments.createOnce({ ...request, ...plan, trackingNumber: newTrackingNumber() });
  }
}
