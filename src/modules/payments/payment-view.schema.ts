import { z } from 'zod';

/** The documented shape of a payment in HTTP answers (see PaymentView in contract.ts). */
export const paymentViewSchema = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid(),
  /** Empty on a VOIDED tombstone, which knows no user or amount. */
  userId: z.string(),
  status: z.enum(['PENDING', 'COMPLETED', 'DECLINED', 'REFUNDED', 'VOIDED']),
  amount: z.object({ amount: z.number().int(), currency: z.string() }),
  declineReason: z.string().nullable(),
  providerReference: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const orderIdParams = z.object({ orderId: z.uuid({ message: 'must be a UUID' }) }).strict();
