import { DomainError } from '../../../platform/contracts/index.js';

export class StockItemNotFoundError extends DomainError {
  readonly code = 'INVENTORY.STOCK_ITEM_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(sku: string) {
    super(`No stock item has SKU ${sku}.`);
  }
}

export class UnknownProductError extends DomainError {
  readonly code = 'INVENTORY.UNKNOWN_PRODUCT';
  readonly kind = 'invalid' as const;
  constructor(productId: string) {
    super(`The catalog has no product ${productId}.`, [{ field: 'productId', message: 'no such product in the catalog' }]);
  }
}

export class QuantityBelowReservedError extends DomainError {
  readonly code = 'INVENTORY.QUANTITY_BELOW_RESERVED';
  readonly kind = 'conflict' as const;
  constructor(sku: string, reserved: number) {
    super(`SKU ${sku} has ${reserved} units reserved; the quantity cannot go below that.`);
  }
}

export class ProductOfSkuChangedError extends DomainError {
  readonly code = 'INVENTORY.SKU_BELONGS_TO_OTHER_PRODUCT';
  readonly kind = 'conflict' as const;
  constructor(sku: string) {
    super(`SKU ${sku} already belongs to another product.`);
  }
}

export class CatalogUnavailableError extends DomainError {
  readonly code = 'INVENTORY.CATALOG_UNAVAILABLE';
  readonly kind = 'unavailable' as const;
  constructor() {
    super('The catalog could not be asked whether the product exists; try again.');
  }
}

export class OutOfStockError extends DomainError {
  readonly code = 'INVENTORY.OUT_OF_STOCK';
  readonly kind = 'conflict' as const;
  constructor(fields: { field: string; message: string }[]) {
    super('Not enough stock for every line; nothing was reserved.', fields);
  }
}

export class ReservationReleasedError extends DomainError {
  readonly code = 'INVENTORY.RESERVATION_RELEASED';
  readonly kind = 'conflict' as const;
  constructor(orderId: string) {
    super(`The stock of order ${orderId} was already released; it cannot be reserved again.`);
  }
}

export class ReservationCommittedError extends DomainError {
  readonly code = 'INVENTORY.RESERVATION_COMMITTED';
  readonly kind = 'conflict' as const;
  constructor(orderId: string) {
    super(`The stock of order ${orderId} has left the warehouse; it cannot be released.`);
  }
}

export class ReservationNotFoundError extends DomainError {
  readonly code = 'INVENTORY.RESERVATION_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(orderId: string) {
    super(`Nothing is reserved for order ${orderId}.`);
  }
}

export class InvalidReservationError extends DomainError {
  readonly code = 'INVENTORY.INVALID_RESERVATION';
  readonly kind = 'invalid' as const;
  constructor(fields: { field: string; message: string }[]) {
    super('The reservation request is not valid.', fields);
  }
}
