import { sql } from 'drizzle-orm';
import { char, customType, index, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { outboxTable } from '../../../platform/events/messaging-tables.js';

export const catalogSchema = pgSchema('catalog');

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const products = catalogSchema.table(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    images: jsonb('images').$type<string[]>().notNull().default([]),
    category: text('category').notNull(),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    priceAmount: integer('price_amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    // Kept by Postgres itself, so search can never drift from the row it describes.
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      sql`setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(category, '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')`,
    ),
  },
  (t) => [
    index('products_search_idx').using('gin', t.searchVector),
    index('products_category_idx').on(t.category),
    index('products_tags_idx').using('gin', t.tags),
    index('products_created_idx').on(t.createdAt, t.id),
  ],
);

export const outbox = outboxTable(catalogSchema);
