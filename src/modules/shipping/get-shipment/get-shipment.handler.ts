import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetShipment, type ShipmentView } from '../contract.js';
import { ShipmentsRepository } from '../db/shipments.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@QueryHandler(GetShipment)
export class GetShipmentHandler implements IQueryHandler<GetShipment, ShipmentView | null> {
  constructor(private readonly shipments: ShipmentsRepository) {}

  /** An id that is not a UUID names no shipment (rather than a database error). */
  async execute(query: GetShipment): Promise<ShipmentView | null> {
    return UUID.test(query.shipmentId) ? this.shipments.findById(query.shipmentId) : null;
  }
}
