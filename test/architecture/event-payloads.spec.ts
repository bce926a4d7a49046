import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ProductChanged, type ProductChangedPayload } from '../../src/modules/catalog/contract.js';
import { UserRegistered, type UserRegisteredPayload } from '../../src/modules/identity/contract.js';
import { StockLow, type StockLowPayload } from '../../src/modules/inventory/contract.js';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  type OrderCancelledPayload,
  type OrderConfirmedPayload,
  type OrderPlacedPayload,
} from '../../src/modules/ordering/contract.js';
import {
  PaymentCompleted,
  PaymentFailed,
  PaymentRefunded,
  type PaymentCompletedPayload,
  type PaymentFailedPayload,
  type PaymentRefundedPayload,
} from '../../src/modules/payments/contract.js';
import { newTrackingNumber } from '../../src/modules/shipping/create-shipment/tracking-number.js';
import { DOMESTIC_CARRIER } from '../../src/modules/shipping/domain/shipment-plan.js';
import { ShipmentCreated, type ShipmentCreatedPayload } from '../../src/modules/shipping/contract.js';
import { integrationEventOf, type IntegrationEventType } from '../../src/platform/contracts/integration-event.js';

/**
 * Each event's payload schema against a payload built the way its publisher builds it
 * (the file that publishes it is named beside each sample): the consumer's check must
 * let every real event through, and stop one that lacks anything it reads.
 */
type PayloadOf<E> = E extends IntegrationEventType<infer P> ? P : never;

// Checked by tsc, not at run time: each exported payload interface is exactly what its
// schema admits, so neither can drift from the other in any direction.
expectTypeOf<PayloadOf<typeof ProductChanged>>().toEqualTypeOf<ProductChangedPayload>();
expectTypeOf<PayloadOf<typeof UserRegistered>>().toEqualTypeOf<UserRegisteredPayload>();
expectTypeOf<PayloadOf<typeof StockLow>>().toEqualTypeOf<StockLowPayload>();
expectTypeOf<PayloadOf<typeof OrderPlaced>>().toEqualTypeOf<OrderPlacedPayload>();
expectTypeOf<PayloadOf<typeof OrderConfirmed>>().toEqualTypeOf<OrderConfirmedPayload>();
expectTypeOf<PayloadOf<typeof OrderCancelled>>().toEqualTypeOf<OrderCancelledPayload>();
expectTypeOf<PayloadOf<typeof PaymentCompleted>>().toEqualTypeOf<PaymentCompletedPayload>();
expectTypeOf<PayloadOf<typeof PaymentFailed>>().toEqualTypeOf<PaymentFailedPayload>();
expectTypeOf<PayloadOf<typeof PaymentRefunded>>().toEqualTypeOf<PaymentRefundedPayload>();
expectTypeOf<PayloadOf<typeof ShipmentCreated>>().toEqualTypeOf<ShipmentCreatedPayload>();

const price = { amount: 1999, currency: 'EUR' };
const now = () => new Date().toISOString();
const orderFacts = { orderId: randomUUID(), userId: randomUUID(), total: { amount: 3998, currency: 'EUR' } };
const paymentFacts = { orderId: randomUUID(), userId: randomUUID(), paymentId: randomUUID(), amount: price };

interface Sample {
  event: IntegrationEventType<unknown>;
  /** Where the publisher builds this payload. */
  publisher: string;
  payload: Record<string, unknown>;
}

const sample = <P extends Record<string, unknown>>(event: IntegrationEventType<P>, publisher: string, payload: P): Sample => ({
  event: event as IntegrationEventType<unknown>,
  publisher,
  payload,
});

const SAMPLES: Sample[] = [
  sample(ProductChanged, 'catalog/db/products.repository.ts changeOf', {
    productId: randomUUID(),
    name: 'Desk lamp',
    category: 'lighting',
    price,
    change: 'created',
  }),
  sample(UserRegistered, 'identity/register-user/register-user.handler.ts', {
    userId: randomUUID(),
    email: 'ada@example.com',
    name: 'Ada',
  }),
  sample(StockLow, 'inventory/db/stock-items.repository.ts announceAllIfLow', {
    sku: 'LAMP-1',
    productId: randomUUID(),
    available: 0,
    reorderPoint: 5,
    location: 'A-1',
  }),
  sample(OrderPlaced, 'ordering/db/orders.repository.ts placeAll', {
    ...orderFacts,
    lines: [{ productId: randomUUID(), sku: 'LAMP-1', quantity: 2, unitPrice: price, productName: 'Desk lamp' }],
    placedAt: now(),
  }),
  sample(OrderConfirmed, 'ordering/db/checkout-sagas.repository.ts confirmAll', {
    ...orderFacts,
    shipmentId: randomUUID(),
    trackingNumber: newTrackingNumber(),
    confirmedAt: now(),
  }),
  sample(OrderCancelled, 'ordering/db/checkout-sagas.repository.ts finishCancelled', {
    ...orderFacts,
    reason: 'OUT_OF_STOCK',
    cancelledAt: now(),
  }),
  sample(PaymentCompleted, 'payments/db/payments.repository.ts recordChargeAll', paymentFacts),
  sample(PaymentFailed, 'payments/db/payments.repository.ts recordChargeAll', { ...paymentFacts, reason: 'CARD_DECLINED' }),
  sample(PaymentRefunded, 'payments/db/payments.repository.ts recordRefund', paymentFacts),
  sample(ShipmentCreated, 'shipping/db/shipments.repository.ts createEach', {
    shipmentId: randomUUID(),
    orderId: randomUUID(),
    userId: randomUUID(),
    trackingNumber: newTrackingNumber(),
    carrier: DOMESTIC_CARRIER,
  }),
];

/** Every path to a field of `value`, objects and arrays included (`lines.0.unitPrice.currency`). */
function fieldPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => fieldPaths(item, [...prefix, i]));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, field]) => [[...prefix, key], ...fieldPaths(field, [...prefix, key])]);
}

function without(payload: unknown, fieldPath: (string | number)[]): unknown {
  const copy = structuredClone(payload) as Record<string | number, unknown>;
  const parent = fieldPath.slice(0, -1).reduce<Record<string | number, unknown>>((node, key) => node[key] as never, copy);
  delete parent[fieldPath.at(-1)!];
  return copy;
}

function replaced(payload: unknown, fieldPath: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(payload) as Record<string | number, unknown>;
  const parent = fieldPath.slice(0, -1).reduce<Record<string | number, unknown>>((node, key) => node[key] as never, copy);
  parent[fieldPath.at(-1)!] = value;
  return copy;
}

const modulesDir = fileURLToPath(new URL('../../src/modules/', import.meta.url));

describe('event payload schemas', () => {
  it('should have a sample for every event any contract declares', async () => {
    const declared = [];
    for (const module of readdirSync(modulesDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const contract = (await import(pathToFileURL(`${modulesDir}${module.name}/contract.ts`).href)) as Record<string, unknown>;
      declared.push(...Object.values(contract).filter((value) => integrationEventOf((value as { wireName?: string })?.wireName ?? '') === value));
    }
    expect(SAMPLES.map((s) => s.event.wireName).sort()).toEqual(declared.map((e) => (e as { wireName: string }).wireName).sort());
  });

  describe.each(SAMPLES)('$event.wireName', ({ event, publisher, payload }) => {
    it(`should accept the payload ${publisher} writes, unchanged`, () => {
      const parsed = event.payload.safeParse(payload);
      expect(parsed.error?.issues).toBeUndefined();
      expect(parsed.data).toEqual(payload);
    });

    it.each(fieldPaths(payload).map((p) => [p.join('.'), p] as const))('should reject a payload without %s', (_, fieldPath) => {
      expect(event.payload.safeParse(without(payload, fieldPath)).success).toBe(false);
    });
  });

  it('should accept a time with an offset from UTC, which names an instant as exactly', () => {
    const { payload } = SAMPLES.find((s) => s.event === OrderConfirmed)!;
    expect(OrderConfirmed.payload.safeParse({ ...payload, confirmedAt: '2030-03-01T23:30:00.000-02:00' }).success).toBe(true);
  });

  it.each([
    ['a fractional amount of money', OrderPlaced, ['total', 'amount'], 39.98],
    ['a currency in lower case', PaymentCompleted, ['amount', 'currency'], 'eur'],
    ['a currency of two letters', ProductChanged, ['price', 'currency'], 'EU'],
    ['a time that is not ISO 8601', OrderConfirmed, ['confirmedAt'], 'Tue, 03 Mar 2026 10:00:00 GMT'],
    ['a cancellation reason ordering does not have', OrderCancelled, ['reason'], 'BORED'],
    ['an id that is not a UUID', ShipmentCreated, ['orderId'], 'order-1'],
  ] as const)('should reject %s', (_, event, fieldPath, value) => {
    const { payload } = SAMPLES.find((s) => s.event === event)!;
    expect(event.payload.safeParse(replaced(payload, [...fieldPath], value)).success).toBe(false);
  });
});
