import { z } from 'zod';
import type { Money } from '../../platform/contracts/index.js';
import type { ShippingAddress } from '../shipping/contract.js';
import type { CancellationReason, OrderLineView, OrderStatus } from './contract.js';

/** An order as its customer sees it (without names from other modules; see get-order for those). */
export interface OrderView {
  id: string;
  userId: string;
  status: OrderStatus;
  cancellationReason: CancellationReason | null;
  lines: OrderLineView[];
  total: Money;
  shippingAddress: ShippingAddress;
  shipment: { id: string; trackingNumber: string } | null;
  createdAt: string;
  updatedAt: string;
}

const money = z.object({ amount: z.number().int(), currency: z.string() });

export const orderViewSchema = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  status: z.enum(['PENDING', 'CONFIRMED', 'CANCELLING', 'CANCELLED']),
  cancellationReason: z.string().nullable(),
  lines: z.array(
    z.object({ productId: z.uuid(), sku: z.string(), quantity: z.number().int(), unitPrice: money, productName: z.string() }),
  ),
  total: money,
  shippingAddress: z.object({
    name: z.string(),
    line1: z.string(),
    line2: z.string().optional(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
  }),
  shipment: z.object({ id: z.uuid(), trackingNumber: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const orderIdParams = z.strictObject({ id: z.uuid() });
