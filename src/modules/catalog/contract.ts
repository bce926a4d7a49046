import { ContractQuery, defineIntegrationEvent, Query, z, moneySchema, type Money } from '../../platform/contracts/index.js';

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

// Payload schemas, which a consumer checks before its handler runs. Ids are z.guid(): any
// UUID Postgres stores (no version bits required); money is integer minor units and an
// upper-case ISO 4217 code, as catalog's input admits it.
// `satisfies` keeps each schema within its payload interface; the converse (the schema
// admits every payload the interface allows) is proven by test/architecture/event-payloads.spec.ts.

export const ProductChanged = defineIntegrationEvent(
  'catalog',
  'ProductChanged',
  1,
  z.object({
    productId: z.guid(),
    name: z.string(),
    category: z.string(),
    price: moneySchema,
    change: z.enum(['created', 'updated']),
  }) satisfies z.ZodType<ProductChangedPayload>,
);

/** The codes of catalog's domain errors, for callers that match on one. */
export const CatalogErrors = {
  /** not_found: no product has the id asked for. */
  PRODUCT_NOT_FOUND: 'CATALOG.PRODUCT_NOT_FOUND',
} as const;
