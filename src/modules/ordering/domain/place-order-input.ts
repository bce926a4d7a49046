import { createHash } from 'node:crypto';
import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1).max(max);

export const placeOrderSchema = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        productId: z.uuid(),
        sku: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash, underscore (max 64)'),
        quantity: z.number().int().min(1).max(1000),
      }),
    )
    .min(1)
    .max(50),
  shippingAddress: z.strictObject({
    name: text(200),
    line1: text(200),
    line2: text(200).optional(),
    city: text(100),
    postalCode: text(20),
    country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code, e.g. DE'),
  }),
  /** The card token from the payment form; the payment provider charges it. */
  paymentToken: text(200),
});

export type PlaceOrderInput = z.infer<typeof placeOrderSchema>;

/** Node lower-cases header names. Other headers pass through. */
export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string({ error: 'required: a unique key per order, e.g. a UUID' })
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
});

/** The same request, the same hash: keys of objects sorted, so field order does not matter. */
export function requestHashOf(input: PlaceOrderInput): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]))
        : value;
  return createHash('sha256').update(JSON.stringify(canonical(input))).digest('hex');
}
