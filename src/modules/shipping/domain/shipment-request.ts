import { z } from 'zod';
import { InvalidShipmentRequestError } from './shipping-errors.js';

const text = (max: number) => z.string().trim().min(1).max(max);

/** The shape a CreateShipment must have; callers are other modules, so nothing checked it yet. */
const shipmentRequestSchema = z.object({
  orderId: z.uuid({ message: 'must be a UUID' }),
  userId: z.uuid({ message: 'must be a UUID' }),
  address: z.object({
    name: text(200),
    line1: text(200),
    line2: z.string().trim().max(200).optional(),
    city: text(100),
    postalCode: text(20),
    country: z.string().regex(/^[A-Z]{2}$/, 'an upper-case ISO 3166-1 alpha-2 code'),
  }),
  lines: z
    .array(
      z.object({
        productId: z.uuid({ message: 'must be a UUID' }),
        sku: text(64),
        quantity: z.number().int().min(1).max(10_000),
      }),
    )
    .min(1)
    .max(200),
});

/** Structurally the CreateShipment command (domain/ stays free of the Nest-based contract kit). */
export type ShipmentRequest = z.infer<typeof shipmentRequestSchema>;

export function parseShipmentRequest(request: unknown): ShipmentRequest {
  const parsed = shipmentRequestSchema.safeParse(request);
  if (parsed.success) return parsed.data;
  throw new InvalidShipmentRequestError(
    parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(command)', message: issue.message })),
  );
}
