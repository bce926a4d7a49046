import { Controller, Get } from '@nestjs/common';
import { CurrentUser } from '../../../platform/auth/access-decorators.js';
import type { Principal } from '../../../platform/auth/principal.js';
import { ValidParams } from '../../../platform/http/validated-input.js';
import { ApiRoute } from '../../../platform/openapi/route-docs.js';
import { GetShipment, type ShipmentView } from '../contract.js';
import { ShipmentNotFoundError } from '../domain/shipping-errors.js';
import { shipmentIdParams, shipmentViewSchema } from '../shipping-view.schema.js';
import { GetShipmentHandler } from './get-shipment.handler.js';

@Controller('api/v1/shipping/shipments')
export class TrackShipmentController {
  constructor(private readonly handler: GetShipmentHandler) {}

  /** The shipment's own customer or an admin sees it; anyone else gets 404, so ids cannot be probed. */
  @Get(':id')
  @ApiRoute({ summary: 'Track a shipment', tags: ['shipping'], response: shipmentViewSchema })
  async track(@CurrentUser() caller: Principal, @ValidParams(shipmentIdParams) params: { id: string }): Promise<ShipmentView> {
    const shipment = await this.handler.execute(new GetShipment(params.id));
    const maySee = shipment !== null && (shipment.userId === caller.userId || caller.roles.includes('admin'));
    if (!maySee) throw new ShipmentNotFoundError(params.id);
    return shipment;
  }
}
