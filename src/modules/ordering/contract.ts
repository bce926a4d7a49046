import { Command, ContractCommand, defineIntegrationEvent, z, moneySchema, type Money } from '../../platform/contracts/index.js';

/** ordering's published language. */

/**
 * `PENDING` while the checkout saga runs; `CANCELLING` while it undoes completed steps
 * (and, if that keeps failing, until an operator intervenes); then `CONFIRMED` or
 * `CANCELLED` with a reason.
 */
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLING' | 'CANCELLED';

/** Why an order was cancelled. */
export type CancellationReason =
  | 'OUT_OF_STOCK'
  | 'PAYMENT_DECLINED'
  | 'NOT_SHIPPABLE'
  | 'STEP_TIMED_OUT'
  /** A step refused for a reason the saga has no name for (see the order's failure detail). */
  | 'STEP_REJECTED'
  | 'CUSTOMER_CANCELLED';

export interface OrderLineView {
  productId: string;
  sku: string;
  quantity: number;
  /** The price when the order was placed. */
  unitPrice: Money;
  /** The product's name when the order was placed. */
  productName: string;
}

export interface OrderPlacedPayload {
  orderId: string;
  userId: string;
  lines: OrderLineView[];
  total: Money;
  placedAt: string;
}

export interface OrderConfirmedPayload {
  orderId: string;
  userId: string;
  total: Money;
  shipmentId: string;
  trackingNumber: string;
  confirmedAt: string;
}

export interface OrderCancelledPayload {
  orderId: string;
  userId: string;
  total: Money;
  reason: CancellationReason;
  cancelledAt: string;
}

// Payload schemas, which a consumer checks before its handler runs. Ids are z.guid(): any
// UUID Postgres stores (no version bits required); money is integer minor units and an
// upper-case ISO 4217 code.
// `satisfies` keeps each schema within its payload interface; the converse (the schema
// admits every payload the interface allows) is proven by test/architecture/event-payloads.spec.ts.
/** ISO 8601. ordering writes UTC (`…Z`), but an offset is as exact, and consumers read times by instant. */
const isoTime = z.iso.datetime({ offset: true });
const orderLine = z.object({
  productId: z.guid(),
  sku: z.string().min(1),
  quantity: z.number().int().positive(),
  unitPrice: moneySchema,
  productName: z.string(),
}) satisfies z.ZodType<OrderLineView>;
const cancellationReason = z.enum([
  'OUT_OF_STOCK',
  'PAYMENT_DECLINED',
  'NOT_SHIPPABLE',
  'STEP_TIMED_OUT',
  'STEP_REJECTED',
  'CUSTOMER_CANCELLED',
]) satisfies z.ZodType<CancellationReason>;

export const OrderPlaced = defineIntegrationEvent(
  'ordering',
  'OrderPlaced',
  1,
  z.object({
    orderId: z.guid(),
    userId: z.guid(),
    lines: z.array(orderLine).min(1),
    total: moneySchema,
    placedAt: isoTime,
  }) satisfies z.ZodType<OrderPlacedPayload>,
);

export const OrderConfirmed = defineIntegrationEvent(
  'ordering',
  'OrderConfirmed',
  1,
  z.object({
    orderId: z.guid(),
    userId: z.guid(),
    total: moneySchema,
    shipmentId: z.guid(),
    trackingNumber: z.string().min(1),
    confirmedAt: isoTime,
  }) satisfies z.ZodType<OrderConfirmedPayload>,
);

export const OrderCancelled = defineIntegrationEvent(
  'ordering',
  'OrderCancelled',
  1,
  z.object({
    orderId: z.guid(),
    userId: z.guid(),
    total: moneySchema,
    reason: cancellationReason,
    cancelledAt: isoTime,
  }) satisfies z.ZodType<OrderCancelledPayload>,
);

/** The codes of ordering's domain errors, for callers that match on one. */
export const OrderingErrors = {
  /** not_found: no order of the caller's has the id (someone else's order is not revealed either). */
  ORDER_NOT_FOUND: 'ORDERING.ORDER_NOT_FOUND',
  /** conflict: an Idempotency-Key already used for a different order request. */
  IDEMPOTENCY_KEY_REUSED: 'ORDERING.IDEMPOTENCY_KEY_REUSED',
  /** invalid: lines naming unknown products or SKUs, mixed currencies, or a total out of range (`fields`). */
  UNORDERABLE_LINES: 'ORDERING.UNORDERABLE_LINES',
  /** unavailable: the catalog could not price the order; nothing was stored. */
  CATALOG_UNAVAILABLE: 'ORDERING.CATALOG_UNAVAILABLE',
  /** unavailable: inventory could not check the order's SKUs; nothing was stored. */
  INVENTORY_UNAVAILABLE: 'ORDERING.INVENTORY_UNAVAILABLE',
  /** conflict: a customer's cancellation once the order is confirmed or its shipment is being created. */
  ORDER_NOT_CANCELLABLE: 'ORDERING.ORDER_NOT_CANCELLABLE',
  /** conflict: an operator's retry of a checkout that is not parked as COMPENSATION_FAILED. */
  SAGA_NOT_RETRYABLE: 'ORDERING.SAGA_NOT_RETRYABLE',
  /** invalid: a ReplayOrderEvents whose `since` is no date-time or whose `types` are not ordering's (`fields`). */
  INVALID_REPLAY: 'ORDERING.INVALID_REPLAY',
} as const;

/**
 * Re-sends ordering's retained events of `types` (since `since`, ISO 8601) to one
 * subscribing module, through the normal delivery path, so a consumer can rebuild a
 * read model without reading ordering's outbox itself (only ordering's own process
 * holds ordering's database role). Idempotent: the subscriber's inbox absorbs events
 * it already has. Fails with EVENTS.UNKNOWN_MODULE (400) when `subscriber` subscribes
 * to none of `types`.
 */
@ContractCommand('ordering', 'ReplayOrderEvents', { idempotent: true })
export class ReplayOrderEvents extends Command<{ events: number; deliveries: number }> {
  constructor(
    public readonly subscriber: string,
    public readonly types: string[],
    public readonly since: string,
  ) {
    super();
  }
}
