import { DomainError, type FieldProblem } from '../../../platform/contracts/index.js';

export class OrderNotFoundError extends DomainError {
  readonly code = 'ORDERING.ORDER_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(orderId: string) {
    super(`No order ${orderId} of yours exists.`);
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'ORDERING.IDEMPOTENCY_KEY_REUSED';
  readonly kind = 'conflict' as const;
  constructor() {
    super('This Idempotency-Key was already used for a different order request; use a new key for a new order.');
  }
}

export class UnorderableLinesError extends DomainError {
  readonly code = 'ORDERING.UNORDERABLE_LINES';
  readonly kind = 'invalid' as const;
  constructor(fields: FieldProblem[]) {
    super('Some lines cannot be ordered.', fields);
  }
}

export class CatalogUnavailableError extends DomainError {
  readonly code = 'ORDERING.CATALOG_UNAVAILABLE';
  readonly kind = 'unavailable' as const;
  constructor() {
    super('The catalog could not price the order; nothing was stored. Try again with the same Idempotency-Key.');
  }
}

export class InventoryUnavailableError extends DomainError {
  readonly code = 'ORDERING.INVENTORY_UNAVAILABLE';
  readonly kind = 'unavailable' as const;
  constructor() {
    super('Inventory could not check the order lines; nothing was stored. Try again with the same Idempotency-Key.');
  }
}

export class OrderNotCancellableError extends DomainError {
  readonly code = 'ORDERING.ORDER_NOT_CANCELLABLE';
  readonly kind = 'conflict' as const;
  constructor(status: string) {
    super(`The order is ${status}; it can no longer be cancelled.`);
  }
}

export class SagaNotRetryableError extends DomainError {
  readonly code = 'ORDERING.SAGA_NOT_RETRYABLE';
  readonly kind = 'conflict' as const;
  constructor(orderId: string) {
    super(`The checkout of order ${orderId} is not parked as COMPENSATION_FAILED.`);
  }
}

/** A replay of ordering's events asked for something that is not ordering's to replay. */
export class InvalidReplayError extends DomainError {
  readonly code = 'ORDERING.INVALID_REPLAY';
  readonly kind = 'invalid' as const;
  constructor(fields: FieldProblem[]) {
    super(`The replay request is invalid: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}.`, fields);
  }
}
