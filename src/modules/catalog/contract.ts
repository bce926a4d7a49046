import { ContractQuery, defineIntegrationEvent, Query, type Money } from '../../platform/contracts/index.js';

/** catalog's published language. Other modules import this file and nothing else of catalog. */

export type { Money } from '../../platform/contracts/index.js';

export interface ProductView {
  id: string;
  name: string;
  description: string;
  images: string[];
  category: string;
  tags: string[];
  price: Money;
  createdAt: string;
  updatedAt: string;
}

/** One product by id, or `null` when there is none. */
@ContractQuery('catalog', 'GetProduct')
export class GetProduct extends Query<ProductView | null> {
  constructor(public readonly productId: string) {
    super();
  }
}

/** The products among `productIds` that exist, in one round trip (ids not found are absent). */
@ContractQuery('catalog', 'GetProducts')
export class GetProducts extends Query<ProductView[]> {
  constructor(public readonly productIds: string[]) {
    super();
  }
}

/** A product was created or changed; carries its current state. */
export interface ProductChangedPayload {
  productId: string;
  name: string;
  category: string;
  price: Money;
  /** `created` for a new product, `updated` for a change. */
  change: 'created' | 'updated';
}

export const ProductChanged = defineIntegrationEvent<ProductChangedPayload>('catalog', 'ProductChanged', 1);
