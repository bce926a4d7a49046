import { z } from 'zod';

/**
 * What an admin may say about a product. Prices are integers in the currency's
 * minor unit, never floats, so totals add up exactly.
 */
export const moneySchema = z
  .object({
    amount: z.number().int().min(0).max(2_000_000_000),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  })
  .strict();

export const productFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000),
  // http(s) only: a `javascript:` or `data:` URL would be stored XSS in any shop front.
  images: z.array(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2000)).max(20),
  category: z.string().trim().min(1).max(100),
  tags: z.array(z.string().trim().min(1).max(50)).max(30),
  price: moneySchema,
};

export const createProductSchema = z
  .object({
    ...productFields,
    description: productFields.description.default(''),
    images: productFields.images.default([]),
    tags: productFields.tags.default([]),
  })
  .strict();

export type CreateProductInput = z.infer<typeof createProductSchema>;

export const updateProductSchema = z
  .object(productFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });

export type UpdateProductInput = z.infer<typeof updateProductSchema>;
