import { ContractQuery, defineIntegrationEvent, Query } from '../../platform/contracts/index.js';

/** inventory's published language. */

export interface StockView {
  sku: string;
  productId: string;
  quantity: number;
  reserved: number;
  /** quantity − reserved: what can still be sold. */
  available: number;
  location: string;
  reorderPoint: number;
  updatedAt: string;
}

/** The stock item for a SKU, or `null` when there is none. */
@ContractQuery('inventory', 'GetStock')
export class GetStock extends Query<StockView | null> {
  constructor(public readonly sku: string) {
    super();
  }
}

/** Available stock of a SKU fell to or below its reorder point (published on the crossing only). */
export interface StockLowPayload {
  sku: string;
  productId: string;
  available: number;
  reorderPoint: number;
  location: string;
}

export const StockLow = defineIntegrationEvent<StockLowPayload>('inventory', 'StockLow', 1);
