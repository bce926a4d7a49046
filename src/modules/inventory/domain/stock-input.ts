import { z } from 'zod';

export const skuSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash or underscore, at most 64');

export const setStockSchema = z
  .object({
    productId: z.uuid({ message: 'must be a UUID' }),
    quantity: z.number().int().min(0).max(1_000_000_000),
    location: z.string().trim().min(1).max(100),
    reorderPoint: z.number().int().min(0).max(1_000_000_000).default(0),
  })
  .strict();

export type SetStockInput = z.infer<typeof setStockSchema>;
