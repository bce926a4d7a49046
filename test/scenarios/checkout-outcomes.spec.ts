import { describe, expect, it } from 'vitest';
import { orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import type { Placement } from '../support/placement.js';
import { waitFor } from '../support/wait-for.js';
import { chargesOf, paymentOf, refundsOf, shipmentsOf, stockOf, useSharedPlacement } from './observe.js';

/**
 * The checkout saga's four endings, through HTTP, in every placement (one project per
 * placement in vitest.config.ts): confirmed, declined, out of stock, not shippable.
 */
describe('checkout outcomes', () => {
  let shop: Placement;
  let admin: string;

  useSharedPlacement((placement, adminToken) => {
    shop = placement;
    admin = adminToken;
  });

  it('should confirm an order: stock, payment and shipment once each, a confirmation sent, a report row', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 10, price: 2500 });
    const customer = await shop.customer('Grace');
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 2 }]));
    expect(placed.status).toBe(202);
    expect(placed.headers.get('location')).toBe(`/api/v1/orders/${placed.body.id}`);
    expect(placed.body).toMatchObject({ status: 'PENDING', total: { amount: 5000, currency: 'EUR' } });

    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CONFIRMED', cancellationReason: null, userName: 'Grace', degraded: [] });
    expect(order.shipment.trackingNumber).toMatch(/^SHP-/);
    expect(await stockOf(shop, kettle.sku)).toEqual({ quantity: 8, reserved: 0 });
    expect(await chargesOf(shop, order.id)).toHaveLength(1);
    expect(await paymentOf(shop, order.id)).toEqual({ status: 'COMPLETED' });
    expect(await shipmentsOf(shop, order.id)).toBe(1);

    await waitFor(
      async () =>
        (await shop.sql("SELECT 1 FROM notifications.notifications WHERE template = 'order_confirmed' AND recipient_user_id = $1", [customer.id]))
          .length === 1,
      { what: 'the confirmation notification' },
    );
    const report = await waitFor(
      async () => {
        const answer = await shop.http.get('/api/v1/reporting/orders?status=CONFIRMED&pageSize=100', { token: admin });
        return (answer.body.items as { orderId: string }[]).find((row) => row.orderId === order.id);
      },
      { what: 'the reporting row' },
    );
    expect(report).toMatchObject({ userName: 'Grace', status: 'CONFIRMED' });
  });

  it('should cancel a declined payment with PAYMENT_DECLINED, returning the stock exactly and shipping nothing', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 7 });
    const customer = await shop.customer();
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 3 }], { paymentToken: 'tok_declined' }));
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED', shipment: null });
    expect(await stockOf(shop, kettle.sku)).toEqual({ quantity: 7, reserved: 0 });
    expect(await shipmentsOf(shop, order.id)).toBe(0);
    expect(await chargesOf(shop, order.id)).toHaveLength(0);
  });

  it('should cancel with OUT_OF_STOCK when stock is short, charging nothing', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 1 });
    const customer = await shop.customer();
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 2 }]));
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
    expect(await chargesOf(shop, order.id)).toHaveLength(0);
    expect(await paymentOf(shop, order.id)).toBeUndefined();
    expect(await stockOf(shop, kettle.sku)).toEqual({ quantity: 1, reserved: 0 });
  });

  it('should refund and release when shipping refuses', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 5 });
    const customer = await shop.customer();
    const abroad = { name: 'Ken', line1: '1-1 Chiyoda', city: 'Tokyo', postalCode: '100-0001', country: 'JP' };
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 2 }], { shippingAddress: abroad }));
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'NOT_SHIPPABLE' });
    expect(await paymentOf(shop, order.id)).toEqual({ status: 'REFUNDED' });
    const charges = await chargesOf(shop, order.id);
    expect(charges).toHaveLength(1);
    expect(await refundsOf(shop, charges[0]!.chargeId)).toHaveLength(1);
    expect(await stockOf(shop, kettle.sku)).toEqual({ quantity: 5, reserved: 0 });
    expect(await shipmentsOf(shop, order.id)).toBe(0);
  });
});
