import { z } from 'zod';

/** The documented shape of a product in HTTP answers (see ProductView in contract.ts). */
export const productViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  images: z.array(z.string()),
  category: z.string(),
  tags: z.array(z.string()),
  price: z.object({ amount: z.number().int(), currency: z.string() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const productIdParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) }).strict();
