import { z } from 'zod';

/** The documented shapes of shipping's HTTP answers (see ShipmentView in contract.ts). */
export const shippableItemViewSchema = z.object({
  productId: z.uuid(),
  weightGrams: z.number().int(),
  lengthMm: z.number().int(),
  widthMm: z.number().int(),
  heightMm: z.number().int(),
  hazardous: z.boolean(),
  updatedAt: z.string(),
});

export const shipmentViewSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  userId: z.uuid(),
  trackingNumber: z.string(),
  carrier: z.string(),
  status: z.literal('CREATED'),
  address: z.object({
    name: z.string(),
    line1: z.string(),
    line2: z.string().optional(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
  }),
  lines: z.array(z.object({ productId: z.uuid(), sku: z.string(), quantity: z.number().int() })),
  totalWeightGrams: z.number().int(),
  hazardous: z.boolean(),
  createdAt: z.string(),
});

export const productIdParams = z.object({ productId: z.uuid({ message: 'must be a UUID' }) }).strict();
export const shipmentIdParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) }).strict();
