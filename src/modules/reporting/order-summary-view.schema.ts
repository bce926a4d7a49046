import { z } from 'zod';
import { SUMMARY_STATUSES } from './domain/summary-status.js';

const money = z.object({ amount: z.number().int(), currency: z.string() });

/** The HTTP shape of an OrderSummaryView (contract.ts), for the OpenAPI document. */
export const orderSummarySchema = z.object({
  orderId: z.uuid(),
  userId: z.uuid(),
  userName: z.string().describe('"Unknown" when identity could not tell it'),
  productNames: z.array(z.string()),
  lines: z
    .array(
      z.object({
        productId: z.uuid(),
        sku: z.string(),
        quantity: z.number().int(),
        unitPrice: money,
        productName: z.string(),
      }),
    )
    .nullable()
    .describe('Null until the OrderPlaced event has been seen (events arrive in any order)'),
  total: money,
  status: z.enum(SUMMARY_STATUSES),
  cancellationReason: z.string().nullable(),
  placedAt: z.string().nullable(),
  confirmedAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  updatedAt: z.string(),
});
