import { DomainError } from '../../../platform/contracts/index.js';

export class ProductNotFoundError extends DomainError {
  readonly code = 'CATALOG.PRODUCT_NOT_FOUND';
  readonly kind = 'not_found' as const;
  constructor(productId: string) {
    super(`No product has id ${productId}.`);
  }
}
