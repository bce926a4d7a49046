import { Inject, Injectable } from '@nestjs/common';
import { eq, getTableColumns, sql } from 'drizzle-orm';
import { MODULE_DATABASE, type Db, type ModuleDatabase } from '../../../platform/database/module-database.js';
import type { ShippableItem, ShippableItemInput } from '../domain/shippable-item.js';
import { shippableItems } from './schema.js';

type Row = typeof shippableItems.$inferSelect;

function toItem(row: Row): ShippableItem {
  return {
    productId: row.productId,
    weightGrams: row.weightGrams,
    lengthMm: row.lengthMm,
    widthMm: row.widthMm,
    heightMm: row.heightMm,
    hazardous: row.hazardous,
    updatedAt: row.updatedAt.toISOString(),
  };
}

@Injectable()
export class ShippableItemsRepository {
  constructor(@Inject(MODULE_DATABASE) private readonly database: ModuleDatabase) {}

  async find(productId: string): Promise<ShippableItem | null> {
    const [row] = await this.database.db.select().from(shippableItems).where(eq(shippableItems.productId, productId));
    return row ? toItem(row) : null;
  }

  /**
   * The items recorded for these products, by product id (products without data are
   * absent), in one statement; `executor` may be a transaction the caller runs.
   */
  async findMany(productIds: string[], executor: Db = this.database.db): Promise<Map<string, ShippableItem>> {
    if (productIds.length === 0) return new Map();
    // One array parameter, so the statement's text is the same whatever the number of products.
    const rows = await executor
      .select()
      .from(shippableItems)
      .where(sql`${shippableItems.productId} = ANY(${sql.param(productIds)}::uuid[])`);
    return new Map(rows.map((row) => [row.productId, toItem(row)]));
  }

  /** Records or replaces a product's shipping data in one statement, telling which it was. */
  async upsert(productId: string, input: ShippableItemInput): Promise<{ item: ShippableItem; created: boolean }> {
    const [written] = await this.database.db
      .insert(shippableItems)
      .values({ productId, ...input })
      .onConflictDoUpdate({ target: shippableItems.productId, set: { ...input, updatedAt: sql`now()` } })
      // xmax is 0 only on a freshly inserted row version, not on one the conflict updated.
      .returning({ ...getTableColumns(shippableItems), created: sql<boolean>`(xmax = 0)` });
    const { created, ...row } = written!;
    return { item: toItem(row), created };
  }
}
