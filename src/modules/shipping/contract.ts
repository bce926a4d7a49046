import { Command, ContractCommand, ContractQuery, defineIntegrationEvent, Query } from '../../platform/contracts/index.js';

/** shipping's published language. Its ShippableItem is not catalog's Product: it knows weight, size and hazard. */

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, upper case, e.g. `DE`. */
  country: string;
}

export interface ShipmentLine {
  productId: string;
  sku: string;
  quantity: number;
}

export interface ShipmentView {
  id: string;
  orderId: string;
  userId: string;
  trackingNumber: string;
  carrier: string;
  status: 'CREATED';
  address: ShippingAddress;
  lines: ShipmentLine[];
  totalWeightGrams: number;
  hazardous: boolean;
  createdAt: string;
}

/**
 * Creates the order's shipment with a tracking number. Idempotent by order id: a
 * repeat answers the existing shipment. Fails with SHIPPING.NOT_SHIPPABLE (422,
 * `fields` name the lines or the address field) when a product has no shippable
 * item record, the destination is not served, or hazardous goods would cross a border.
 */
@ContractCommand('shipping', 'CreateShipment')
export class CreateShipment extends Command<ShipmentView> {
  constructor(
    public readonly orderId: string,
    public readonly userId: string,
    public readonly address: ShippingAddress,
    public readonly lines: ShipmentLine[],
  ) {
    super();
  }
}

/** A shipment by its id, or null. */
@ContractQuery('shipping', 'GetShipment')
export class GetShipment extends Query<ShipmentView | null> {
  constructor(public readonly shipmentId: string) {
    super();
  }
}

export interface ShipmentCreatedPayload {
  shipmentId: string;
  orderId: string;
  userId: string;
  trackingNumber: string;
  carrier: string;
}

export const ShipmentCreated = defineIntegrationEvent<ShipmentCreatedPayload>('shipping', 'ShipmentCreated', 1);
