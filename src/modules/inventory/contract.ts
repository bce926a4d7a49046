import { Command, ContractCommand, ContractQuery, defineIntegrationEvent, Query } from '../../platform/contracts/index.js';

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

/** The stock items among `skus` that exist, in one round trip (unknown SKUs are absent). */
@ContractQuery('inventory', 'GetStockItems')
export class GetStockItems extends Query<StockView[]> {
  constructor(public readonly skus: string[]) {
    super();
  }
}

export interface StockLine {
  sku: string;
  quantity: number;
}

/**
 * What inventory holds for one order. `RELEASED` with no lines is a tombstone: the
 * order was released before anything was reserved, so a late ReserveStock for it
 * (a retry that arrives after the caller gave up) reserves nothing.
 */
export interface ReservationView {
  orderId: string;
  status: 'RESERVED' | 'RELEASED' | 'COMMITTED';
  lines: StockLine[];
  updatedAt: string;
}

/**
 * Reserves every line for the order, or none. Idempotent by order id: a repeat
 * answers the existing reservation. Concurrent reservations never oversell.
 * Fails with INVENTORY.OUT_OF_STOCK (409, `fields` name the short lines, e.g.
 * `lines.1.quantity`) and INVENTORY.RESERVATION_RELEASED (409) when the order was
 * already released.
 */
@ContractCommand('inventory', 'ReserveStock')
export class ReserveStock extends Command<ReservationView> {
  constructor(
    public readonly orderId: string,
    public readonly lines: StockLine[],
  ) {
    super();
  }
}

/** Gives an order's reserved units back (compensation). Idempotent; leaves a tombstone when nothing was reserved. */
@ContractCommand('inventory', 'ReleaseStock')
export class ReleaseStock extends Command<ReservationView> {
  constructor(public readonly orderId: string) {
    super();
  }
}

/**
 * Turns an order's reservation into a sale: the units leave stock. Idempotent.
 * Fails with INVENTORY.RESERVATION_NOT_FOUND (404) when nothing is reserved for it.
 */
@ContractCommand('inventory', 'CommitStock')
export class CommitStock extends Command<ReservationView> {
  constructor(public readonly orderId: string) {
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
