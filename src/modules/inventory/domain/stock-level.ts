/**
 * A SKU is low when what can still be sold is at or below its reorder point. StockLow
 * is published when an item becomes low, not on every change while it stays low.
 */
export interface StockLevel {
  quantity: number;
  reserved: number;
  reorderPoint: number;
}

export function isLow(level: StockLevel): boolean {
  return level.quantity - level.reserved <= level.reorderPoint;
}

export function becameLow(before: StockLevel | null, after: StockLevel): boolean {
  return isLow(after) && (before === null || !isLow(before));
}
