import { z } from 'zod';

/** The `page` and `pageSize` query fields of every paged list: spread them into a route's query schema. */
export const pagingFields = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
};

/** The answer of a paged list, `{ items, page, pageSize, total }`, for its route documentation. */
export function pageSchemaOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), page: z.number().int(), pageSize: z.number().int(), total: z.number().int() });
}
