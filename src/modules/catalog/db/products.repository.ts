import { Inject, Injectable } from '@nestjs/common';
import { and, arrayContains, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { MODULE_DATABASE, type ModuleDatabase } from '../../../platform/database/module-database.js';
import { OUTBOX, type Outbox } from '../../../platform/events/outbox.js';
import { ProductChanged, type ProductView } from '../contract.js';
import type { CreateProductInput, UpdateProductInput } from '../domain/product-input.js';
import { products } from './schema.js';

// Every column a caller sees; the search vector stays inside.
const visible = {
  id: products.id,
  name: products.name,
  description: products.description,
  images: products.images,
  category: products.category,
  tags: products.tags,
  priceAmount: products.priceAmount,
  currency: products.currency,
  createdAt: products.createdAt,
  updatedAt: products.updatedAt,
};

type Row = { [K in keyof typeof visible]: (typeof visible)[K]['_']['data'] };

function toView(row: Row): ProductView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    images: row.images,
    category: row.category,
    tags: row.tags,
    price: { amount: row.priceAmount, currency: row.currency },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function changeOf(product: ProductView, change: 'created' | 'updated') {
  return { productId: product.id, name: product.name, category: product.category, price: product.price, change };
}

export interface ProductSearch {
  text?: string;
  category?: string;
  tag?: string;
  page: number;
  pageSize: number;
}

@Injectable()
export class ProductsRepository {
  // The hottest read in the shop: built once and sent as a named prepared statement,
  // so neither drizzle nor Postgres re-plans it per request.
  private readonly byId;

  constructor(
    @Inject(MODULE_DATABASE) private readonly database: ModuleDatabase,
    @Inject(OUTBOX) private readonly outbox: Outbox,
  ) {
    this.byId = database.db
      .select(visible)
      .from(products)
      .where(eq(products.id, sql.placeholder('id')))
      .limit(1)
      .prepare('catalog_product_by_id');
  }

  async insert(input: CreateProductInput): Promise<ProductView> {
    return this.database.transaction(async (tx) => {
      const [row] = await tx
        .insert(products)
        .values({
          name: input.name,
          description: input.description,
          images: input.images,
          category: input.category,
          tags: input.tags,
          priceAmount: input.price.amount,
          currency: input.price.currency,
        })
        .returning(visible);
      const product = toView(row!);
      await this.outbox.publish(tx, ProductChanged, changeOf(product, 'created'));
      return product;
    });
  }

  async update(id: string, input: UpdateProductInput): Promise<ProductView | null> {
    return this.database.transaction(async (tx) => {
      const [row] = await tx
        .update(products)
        .set({
          ...(input.name !== undefined && { name: input.name }),
          ...(input.description !== undefined && { description: input.description }),
          ...(input.images !== undefined && { images: input.images }),
          ...(input.category !== undefined && { category: input.category }),
          ...(input.tags !== undefined && { tags: input.tags }),
          ...(input.price !== undefined && { priceAmount: input.price.amount, currency: input.price.currency }),
          updatedAt: sql`now()`,
        })
        .where(eq(products.id, id))
        .returning(visible);
      if (!row) return null;
      const product = toView(row);
      await this.outbox.publish(tx, ProductChanged, changeOf(product, 'updated'));
      return product;
    });
  }

  async findById(id: string): Promise<ProductView | null> {
    const [row] = (await this.byId.execute({ id })) as Row[];
    return row ? toView(row) : null;
  }

  async findByIds(ids: string[]): Promise<ProductView[]> {
    if (ids.length === 0) return [];
    const rows = await this.database.db.select(visible).from(products).where(inArray(products.id, ids));
    return rows.map(toView);
  }

  async search(query: ProductSearch): Promise<{ items: ProductView[]; total: number }> {
    const filters: SQL[] = [];
    const tsQuery = query.text ? sql`websearch_to_tsquery('english', ${query.text})` : undefined;
    if (tsQuery) filters.push(sql`${products.searchVector} @@ ${tsQuery}`);
    if (query.category) filters.push(eq(products.category, query.category));
    if (query.tag) filters.push(arrayContains(products.tags, [query.tag]));
    const where = filters.length ? and(...filters) : undefined;
    const order = tsQuery
      ? [desc(sql`ts_rank(${products.searchVector}, ${tsQuery})`), desc(products.createdAt), desc(products.id)]
      : [desc(products.createdAt), desc(products.id)];
    const [rows, totals] = await Promise.all([
      this.database.db
        .select(visible)
        .from(products)
        .where(where)
        .orderBy(...order)
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize),
      this.database.db.select({ total: count() }).from(products).where(where),
    ]);
    return { items: rows.map(toView), total: totals[0]?.total ?? 0 };
  }
}
