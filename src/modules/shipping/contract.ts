import { Command, ContractCommand, ContractQuery, defineIntegrationEvent, Query, z } from '../../platform/contracts/index.js';

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
 * Creates the order's shipment with a tracking number. Idempotent by order id: the
 * order id is unique among shipments, and a repeat answers the existing shipment (same
 * id and tracking number, even if item data changed since). A refusal creates nothing,
 * so a repeat of one is decided afresh. Fails with SHIPPING.NOT_SHIPPABLE (422,
 * `fields` name the lines or the address field) when a product has no shippable
 * item record, the destination is not served, or hazardous goods would cross a border.
 */
@ContractCommand('shipping', 'CreateShipment', { idempotent: true })
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

// The payload schema, which a consumer checks before its handler runs. Ids are z.guid():
// any UUID Postgres stores (no version bits required).
// `satisfies` keeps each schema within its payload interface; the converse (the schema
// admits every payload the interface allows) is proven by test/architecture/event-payloads.spec.ts.
export const ShipmentCreated = defineIntegrationEvent(
  'shipping',
  'ShipmentCreated',
  1,
  z.object({
    shipmentId: z.guid(),
    orderId: z.guid(),
    userId: z.guid(),
    trackingNumber: z.string().min(1),
    carrier: z.string().min(1),
  }) satisfies z.ZodType<ShipmentCreatedPayload>,
);

/** The codes of shipping's domain errors, for callers that match on one. */
export const ShippingErrors = {
  /** unprocessable: CreateShipment for lines or an address shipping cannot serve (`fields` say which). */
  NOT_SHIPPABLE: 'SHIPPING.NOT_SHIPPABLE',
  /** invalid: a CreateShipment whose data is malformed (`fields` say which). */
  INVALID_SHIPMENT_REQUEST: 'SHIPPING.INVALID_SHIPMENT_REQUEST',
  /** not_found: no shipping data is recorded for the product asked about. */
  SHIPPABLE_ITEM_NOT_FOUND: 'SHIPPING.SHIPPABLE_ITEM_NOT_FOUND',
  /** not_found: no shipment has the id, or it is someone else's (not revealed). */
  SHIPMENT_NOT_FOUND: 'SHIPPING.SHIPMENT_NOT_FOUND',
  /** invalid: recording shipping data for a product the catalog does not have. */
  UNKNOWN_PRODUCT: 'SHIPPING.UNKNOWN_PRODUCT',
  /** unavailable: recording shipping data needs the catalog, which did not answer; try again. */
  CATALOG_UNAVAILABLE: 'SHIPPING.CATALOG_UNAVAILABLE',
} as const;
