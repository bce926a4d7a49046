import { DomainError, type FieldProblem } from '../../../platform/contracts/index.js';

/** The order cannot be shipped as asked; `fields` name the lines or the address field why. */
export class NotShippableError extends DomainError {
  readonly code = 'SHIPPING.NOT_SHIPPABLE';
  readonly kind = 'unprocessable' as const;
  constructor(fields: FieldProblem[]) {
    super(`The shipment cannot be made: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}.`, fields);
  }
}

/** A CreateShipment whose data is malformed (it arrives over the bus, not through the HTTP edge). */
export class InvalidShipmentRequestError extends DomainError {
  readonly code = 'SHIPPING.INVALID_SHIPMENT_REQUEST';
  readonly kind = 'invalid' as const;
  constructor(fields: FieldProblem[]) {
    super(`The shipment request has ${fields.length} invalid field${fields.length === 1 ? '' : 's'}.`, fields);
  }
}

export class ShippableItemNotFoundError extends DomainError {
  readonly code = 'SHIPPING.SHIPPABLE_ITEM_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(productId: string) {
    super(`No shipping data is recorded for product ${productId}.`);
  }
}

/** Also what a caller gets for someone else's shipment: its existence is not revealed. */
export class ShipmentNotFoundError extends DomainError {
  readonly code = 'SHIPPING.SHIPMENT_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(shipmentId: string) {
    super(`No shipment ${shipmentId} was found.`);
  }
}

export class UnknownProductError extends DomainError {
  readonly code = 'SHIPPING.UNKNOWN_PRODUCT';
  readonly kind = 'invalid' as const;
  constructor(productId: string) {
    super(`The catalog has no product ${productId}.`, [{ field: 'productId', message: 'no such product in the catalog' }]);
  }
}

export class CatalogUnavailableError extends DomainError {
  readonly code = 'SHIPPING.CATALOG_UNAVAILABLE';
  readonly kind = 'unavailable' as const;
  constructor() {
    super('The catalog could not be asked whether the product exists; try again.');
  }
}
