import { z } from 'zod';
import { skuSchema } from './domain/stock-input.js';

export const skuParams = z.object({ sku: skuSchema }).strict();

export const stockViewSchema = z.object({
  sku: z.string(),
  productId: z.uuid(),
  quantity: z.number().int(),
  reserved: z.number().int(),
  available: z.number().int(),
  location: z.string(),
  reorderPoint: z.number().int(),
  updatedAt: z.string(),
});
