import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { requestContext } from '../../../platform/logging/request-context.js';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.js';
import { CreateShipment, type ShipmentLine, type ShipmentView, type ShippingAddress } from '../contract.js';

const BERLIN: ShippingAddress = { name: 'Ada L.', line1: 'Hauptstr. 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
const PARIS: ShippingAddress = { name: 'Ada L.', line1: '1 rue de Rivoli', city: 'Paris', postalCode: '75001', country: 'FR' };
const TOKYO: ShippingAddress = { name: 'Ada L.', line1: '1-1 Chiyoda', city: 'Tokyo', postalCode: '100-0001', country: 'JP' };
const MUG = { weightGrams: 350, lengthMm: 120, widthMm: 90, heightMm: 100, hazardous: false };
const LIGHTER_FLUID = { weightGrams: 200, lengthMm: 60, widthMm: 40, heightMm: 150, hazardous: true };

/** One CreateShipment of the concurrent burst, and what a call made on its own would answer. */
interface Call {
  orderId: string;
  address: ShippingAddress;
  lines: ShipmentLine[];
  expect: { created: Partial<ShipmentView> } | { refused: string } | { invalid: true };
}

describe('CreateShipment under concurrency (group commit)', () => {
  let shop: TestApp;
  let bus: ContractBus;
  let userId: string;
  let mug: string;
  let fluid: string;
  let noData: string;

  beforeAll(async () => {
    shop = await startTestApp();
    bus = shop.app.get(ContractBus);
    const admin = await shop.adminToken();
    userId = (await shop.customer('Ada')).id;
    const product = async (name: string, data?: object): Promise<string> => {
      const created = await shop.http.post('/api/v1/catalog/products', {
        token: admin,
        body: { name, category: 'kitchen', price: { amount: 1200, currency: 'EUR' } },
      });
      expect(created.status).toBe(201);
      const productId = created.body.id as string;
      if (data) expect((await shop.http.put(`/api/v1/shipping/items/${productId}`, { token: admin, body: data })).status).toBe(201);
      return productId;
    };
    mug = await product('Batch mug', MUG);
    fluid = await product('Batch lighter fluid', LIGHTER_FLUID);
    noData = await product('Batch mystery box');
  });
  afterAll(async () => {
    await shop.close();
  });

  /** Each call runs in its own request context, as each saga step does. */
  const createShipment = (call: Pick<Call, 'orderId' | 'address' | 'lines'>, correlationId: string) =>
    requestContext.run({ requestId: correlationId, correlationId, causationId: correlationId, traceparent: null }, () =>
      bus.execute(new CreateShipment(call.orderId, userId, call.address, call.lines)),
    );
  const stored = async (orderId: string) => ({
    shipments: await shop.database!.sql('SELECT id, xmin::text AS tx FROM shipping.shipments WHERE order_id = $1', [orderId]),
    events: await shop.database!.sql<{ payload: Record<string, unknown>; correlation_id: string }>(
      "SELECT payload, correlation_id FROM shipping.outbox WHERE type = 'shipping.ShipmentCreated' AND payload->>'orderId' = $1",
      [orderId],
    ),
  });

  it('should give each of 20 concurrent callers what a call on its own would, writing each shipment and event once', async () => {
    const mugs = (quantity: number) => [{ productId: mug, sku: 'MUG-B', quantity }];
    // An order shipped before the burst: its repeat answers the shipment as it is.
    const earlierOrder = { orderId: randomUUID(), address: BERLIN, lines: mugs(1) };
    const earlier = await createShipment(earlierOrder, 'earlier');
    const duplicated = randomUUID();
    const refusedThenShipped = randomUUID();

    const calls: Call[] = [
      ...Array.from({ length: 11 }, (_, i): Call => {
        const address = i % 2 === 0 ? BERLIN : PARIS;
        return {
          orderId: randomUUID(),
          address,
          lines: mugs(i + 1),
          expect: { created: { carrier: address === BERLIN ? 'DHL' : 'UPS', totalWeightGrams: 350 * (i + 1), hazardous: false } },
        };
      }),
      { orderId: duplicated, address: BERLIN, lines: mugs(2), expect: { created: { carrier: 'DHL', totalWeightGrams: 700 } } },
      { orderId: duplicated, address: BERLIN, lines: mugs(2), expect: { created: { carrier: 'DHL', totalWeightGrams: 700 } } },
      { ...earlierOrder, expect: { created: earlier } },
      { orderId: randomUUID(), address: TOKYO, lines: mugs(1), expect: { refused: 'address.country' } },
      { orderId: randomUUID(), address: BERLIN, lines: [...mugs(1), { productId: noData, sku: 'BOX-B', quantity: 1 }], expect: { refused: 'lines.1.productId' } },
      { orderId: randomUUID(), address: PARIS, lines: [{ productId: fluid, sku: 'FLUID-B', quantity: 1 }], expect: { refused: 'lines.0.productId' } },
      // Refused first, then asked again where it can go: the second is decided afresh.
      { orderId: refusedThenShipped, address: TOKYO, lines: mugs(1), expect: { refused: 'address.country' } },
      {
        orderId: refusedThenShipped,
        address: BERLIN,
        lines: [{ productId: fluid, sku: 'FLUID-B', quantity: 3 }],
        expect: { created: { carrier: 'DHL', totalWeightGrams: 600, hazardous: true } },
      },
      { orderId: 'not-a-uuid', address: BERLIN, lines: mugs(1), expect: { invalid: true } },
    ];
    expect(calls).toHaveLength(20);

    const answers = await Promise.allSettled(calls.map((call, i) => createShipment(call, `caller-${i}`)));

    answers.forEach((answer, i) => {
      const call = calls[i]!;
      if ('created' in call.expect) {
        expect(answer.status, `call ${i}`).toBe('fulfilled');
        const shipment = (answer as PromiseFulfilledResult<ShipmentView>).value;
        expect(shipment, `call ${i}`).toMatchObject({
          orderId: call.orderId,
          userId,
          status: 'CREATED',
          address: call.address,
          lines: call.lines,
          ...call.expect.created,
        });
        expect(shipment.trackingNumber).toMatch(/^SHP-[A-Z2-7]{12}$/);
      } else if ('refused' in call.expect) {
        expect(answer.status, `call ${i}`).toBe('rejected');
        expect((answer as PromiseRejectedResult).reason, `call ${i}`).toMatchObject({
          code: 'SHIPPING.NOT_SHIPPABLE',
          kind: 'unprocessable',
          fields: [expect.objectContaining({ field: call.expect.refused })],
        });
      } else {
        expect(answer.status, `call ${i}`).toBe('rejected');
        expect((answer as PromiseRejectedResult).reason).toMatchObject({
          code: 'SHIPPING.INVALID_SHIPMENT_REQUEST',
          fields: [expect.objectContaining({ field: 'orderId' })],
        });
      }
    });

    const value = (i: number) => (answers[i] as PromiseFulfilledResult<ShipmentView>).value;
    // Both callers of the duplicated order get the one shipment; the earlier order's repeat gets the earlier one.
    expect(value(12)).toEqual(value(11));
    expect(value(13)).toEqual(earlier);

    // One row and one ShipmentCreated per shipment, carrying the context of the caller that created it.
    const createdBy = new Map<string, number>();
    calls.forEach((call, i) => {
      if ('created' in call.expect && call.orderId !== earlierOrder.orderId && !createdBy.has(call.orderId)) createdBy.set(call.orderId, i);
    });
    expect(createdBy.size).toBe(13);
    const transactions = new Set<string>();
    for (const [orderId, i] of createdBy) {
      const shipment = value(i);
      const { shipments, events } = await stored(orderId);
      expect(shipments.map((row) => row.id)).toEqual([shipment.id]);
      transactions.add(String(shipments[0]!.tx));
      expect(events).toEqual([
        {
          payload: { shipmentId: shipment.id, orderId, userId, trackingNumber: shipment.trackingNumber, carrier: shipment.carrier },
          correlation_id: `caller-${i}`,
        },
      ]);
    }
    expect((await stored(earlierOrder.orderId)).events.map((e) => e.correlation_id)).toEqual(['earlier']);
    // Fewer transactions wrote them (PostgreSQL's xmin) than there are shipments: they were batched.
    expect(transactions.size).toBeLessThan(createdBy.size);

    // The refused leave nothing.
    for (const call of calls.filter((c) => 'refused' in c.expect && c.orderId !== refusedThenShipped)) {
      expect(await stored(call.orderId)).toEqual({ shipments: [], events: [] });
    }
    expect(
      await shop.database!.sql("SELECT count(*)::int AS n FROM shipping.outbox WHERE type = 'shipping.ShipmentCreated'"),
    ).toEqual([{ n: 14 }]);
  });

  it('should answer a lone call at once, as before', async () => {
    const orderId = randomUUID();
    const shipment = await createShipment({ orderId, address: PARIS, lines: [{ productId: mug, sku: 'MUG-L', quantity: 2 }] }, 'lone');
    expect(shipment).toMatchObject({ orderId, carrier: 'UPS', totalWeightGrams: 700 });
    expect((await stored(orderId)).events).toHaveLength(1);
  });
});
