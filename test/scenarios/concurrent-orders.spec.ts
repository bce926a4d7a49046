import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import type { Placement } from '../support/placement.js';
import { waitFor } from '../support/wait-for.js';
import { chargesOf, stockOf, useSharedPlacement } from './observe.js';

/** Many requests at once, in every placement: one key makes one order, the last units go to exactly as many orders. */
describe('concurrent orders', () => {
  let shop: Placement;
  let admin: string;

  useSharedPlacement((placement, adminToken) => {
    shop = placement;
    admin = adminToken;
  });

  it('should make one order and one charge from 100 concurrent requests with one idempotency key', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 50 });
    const customer = await shop.customer();
    const key = randomUUID();
    const body = orderBody([{ item: kettle, quantity: 1 }]);
    const answers = await Promise.all(Array.from({ length: 100 }, () => placeOrder(shop.http, customer.token, body, key)));
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    const [orderId] = [...ids] as [string];
    await settledOrder(shop.http, customer.token, orderId);
    expect((await shop.sql('SELECT 1 FROM ordering.orders WHERE user_id = $1', [customer.id])).length).toBe(1);
    expect(await chargesOf(shop, orderId)).toHaveLength(1);

    // The same key with another request is a conflict, and stores nothing.
    const other = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 2 }]), key);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('ORDERING.IDEMPOTENCY_KEY_REUSED');
  }, 60_000);

  it('should confirm exactly 10 of 50 concurrent orders for the last 10 units', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 10 });
    const customers = await Promise.all(Array.from({ length: 5 }, () => shop.customer()));
    const placed = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const customer = customers[i % 5]!;
        return placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }])).then((a) => ({ customer, id: a.body.id as string }));
      }),
    );
    // One query waits for all 50 (fifty HTTP pollers would load the very shop under test),
    // then each customer reads their order as they would.
    const ids = placed.map((p) => p.id);
    await waitFor(
      async () =>
        (await shop.sql<{ n: number }>("SELECT count(*)::int AS n FROM ordering.orders WHERE id = ANY($1::uuid[]) AND status IN ('CONFIRMED', 'CANCELLED')", [ids]))[0]!
          .n === 50,
      { what: 'all 50 orders to settle', timeoutMs: 45_000 },
    );
    const outcomes = await Promise.all(placed.map(({ customer, id }) => settledOrder(shop.http, customer.token, id)));
    expect(outcomes.filter((o) => o.status === 'CONFIRMED')).toHaveLength(10);
    expect(outcomes.filter((o) => o.cancellationReason === 'OUT_OF_STOCK')).toHaveLength(40);
    expect(await stockOf(shop, kettle.sku)).toEqual({ quantity: 0, reserved: 0 });
  }, 60_000);
});
