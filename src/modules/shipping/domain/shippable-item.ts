import { z } from 'zod';

/** A product as shipping sees it: what it weighs, how big it is, whether it is dangerous goods. */
export interface ShippableItem {
  productId: string;
  weightGrams: number;
  lengthMm: number;
  widthMm: number;
  heightMm: number;
  hazardous: boolean;
  updatedAt: string;
}

const grams = z.number().int().min(1).max(1_000_000); // up to a tonne per unit
const millimetres = z.number().int().min(1).max(20_000); // up to 20 m per side

export const shippableItemInputSchema = z
  .object({
    weightGrams: grams,
    lengthMm: millimetres,
    widthMm: millimetres,
    heightMm: millimetres,
    hazardous: z.boolean(),
  })
  .strict();

export type ShippableItemInput = z.infer<typeof shippableItemInputSchema>;
