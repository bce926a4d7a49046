import { ContractQuery, Query } from '../../platform/contracts/index.js';

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
