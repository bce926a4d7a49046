import { Command, ContractCommand, ContractQuery, defineIntegrationEvent, Query, z } from '../../platform/contracts/index.js';

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
 * Reserves every line for the order, or none. Idempotent by order id: the order's
 * reservation row is claimed once, and a repeat answers it as it stands (its own lines
 * are not used again); after a release every repeat fails the same way. A refusal
 * reserves nothing, so a repeat of one is decided afresh on the stock of the moment.
 * Concurrent reservations never oversell.
 * Fails with INVENTORY.OUT_OF_STOCK (409, `fields` name the short lines, e.g.
 * `lines.1.quantity`) and INVENTORY.RESERVATION_RELEASED (409) when the order was
 * already released.
 */
@ContractCommand('inventory', 'ReserveStock', { idempotent: true })
export class ReserveStock extends Command<ReservationView> {
  constructor(
    public readonly orderId: string,
    public readonly lines: StockLine[],
  ) {
    super();
  }
}

/**
 * Gives an order's reserved units back (compensation); leaves a tombstone when nothing
 * was reserved. Idempotent by order id: the units go back only on the move from
 * RESERVED to RELEASED, and a repeat answers the released reservation (or fails again
 * with INVENTORY.RESERVATION_COMMITTED when the units had already left).
 */
@ContractCommand('inventory', 'ReleaseStock', { idempotent: true })
export class ReleaseStock extends Command<ReservationView> {
  constructor(public readonly orderId: string) {
    super();
  }
}

/**
 * Turns an order's reservation into a sale: the units leave stock. Idempotent by order
 * id: the units leave only on the move from RESERVED to COMMITTED, and a repeat answers
 * the committed reservation.
 * Fails with INVENTORY.RESERVATION_NOT_FOUND (404) when nothing is reserved for it.
 */
@ContractCommand('inventory', 'CommitStock', { idempotent: true })
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

// The payload schema, which a consumer checks before its handler runs. Ids are z.guid():
// any UUID Postgres stores (no version bits required). Counts are the stock row's whole
// numbers, never negative (the table's checks).
// `satisfies` keeps each schema within its payload interface; the converse (the schema
// admits every payload the interface allows) is proven by test/architecture/event-payloads.spec.ts.
export const StockLow = defineIntegrationEvent(
  'inventory',
  'StockLow',
  1,
  z.object({
    sku: z.string().min(1),
    productId: z.guid(),
    available: z.number().int().nonnegative(),
    reorderPoint: z.number().int().nonnegative(),
    location: z.string(),
  }) satisfies z.ZodType<StockLowPayload>,
);

/** The codes of inventory's domain errors, for callers that match on one. */
export const InventoryErrors = {
  /** conflict: ReserveStock could not have every line; nothing was reserved (`fields` name the short lines). */
  OUT_OF_STOCK: 'INVENTORY.OUT_OF_STOCK',
  /** conflict: ReserveStock for an order whose stock was already released (or tombstoned). */
  RESERVATION_RELEASED: 'INVENTORY.RESERVATION_RELEASED',
  /** conflict: ReleaseStock for an order whose units were already committed (left stock). */
  RESERVATION_COMMITTED: 'INVENTORY.RESERVATION_COMMITTED',
  /** not_found: CommitStock for an order with nothing reserved (never reserved, or released). */
  RESERVATION_NOT_FOUND: 'INVENTORY.RESERVATION_NOT_FOUND',
  /** invalid: a ReserveStock whose order id or lines are malformed (`fields` say which). */
  INVALID_RESERVATION: 'INVENTORY.INVALID_RESERVATION',
  /** not_found: no stock item has the SKU asked for. */
  STOCK_ITEM_NOT_FOUND: 'INVENTORY.STOCK_ITEM_NOT_FOUND',
  /** invalid: setting stock for a product the catalog does not have. */
  UNKNOWN_PRODUCT: 'INVENTORY.UNKNOWN_PRODUCT',
  /** conflict: setting a SKU's quantity below the units reserved of it. */
  QUANTITY_BELOW_RESERVED: 'INVENTORY.QUANTITY_BELOW_RESERVED',
  /** conflict: setting stock of a SKU that already belongs to another product. */
  SKU_BELONGS_TO_OTHER_PRODUCT: 'INVENTORY.SKU_BELONGS_TO_OTHER_PRODUCT',
  /** unavailable: setting stock needs the catalog, which did not answer; try again. */
  CATALOG_UNAVAILABLE: 'INVENTORY.CATALOG_UNAVAILABLE',
} as const;
