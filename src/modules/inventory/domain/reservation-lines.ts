/** The shape of a contract's stock line (the domain does not import the contract). */
export interface StockLine {
  sku: string;
  quantity: number;
}

/** One line per SKU (repeated SKUs summed), in SKU order: rows are always locked in that order, so reservations cannot deadlock. */
export function mergeLines(lines: StockLine[]): StockLine[] {
  const bySku = new Map<string, number>();
  for (const line of lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
  return [...bySku]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

/** The request's lines that cannot be served from `available` (per SKU), as field problems naming the request's own line. */
export function shortLines(
  requested: StockLine[],
  merged: StockLine[],
  available: Map<string, number>,
): { field: string; message: string }[] {
  const short = new Set(merged.filter((line) => (available.get(line.sku) ?? -1) < line.quantity).map((line) => line.sku));
  return requested.flatMap((line, index) => {
    if (!short.has(line.sku)) return [];
    const have = available.get(line.sku);
    return have === undefined
      ? [{ field: `lines.${index}.sku`, message: 'no stock item has this SKU' }]
      : [{ field: `lines.${index}.quantity`, message: `only ${Math.max(0, have)} available` }];
  });
}
