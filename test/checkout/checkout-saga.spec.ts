import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYMENT_PROVIDER } from '../../src/modules/payments/provider/payment-provider.js';
import type { SimulatedPaymentProvider } from '../../src/modules/payments/provider/simulated-payment-provider.js';
import { orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import { FakeNotificationSender } from '../support/fake-notification-sender.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

/** The checkout saga end to end, through HTTP, on the real PostgreSQL. */
describe('checkout', () => {
  let shop: TestApp;
  let admin: string;
  let provider: SimulatedPaymentProvider;
  const sender = new FakeNotificationSender();

  beforeAll(async () => {
    shop = await startTestApp({ edges: { notificationSender: sender } });
    admin = await shop.adminToken();
    provider = shop.app.get<SimulatedPaymentProvider>(PAYMENT_PROVIDER);
  });
  afterAll(async () => {
    await shop.close();
  });

  const sql = <R extends Record<string, unknown>>(text: string, params: unknown[] = []) => shop.database!.sql<R>(text, params);
  const levels = async (sku: string) =>
    (await sql<{ quantity: number; reserved: number }>('SELECT quantity, reserved FROM inventory.stock_items WHERE sku = $1', [sku]))[0];
  const chargesFor = (orderId: string) => provider.charges().filter((c) => c.description.includes(orderId));
  const shipmentsFor = async (orderId: string) =>
    (await sql<{ n: number }>('SELECT count(*)::int AS n FROM shipping.shipments WHERE order_id = $1', [orderId]))[0]!.n;
  const paymentOf = async (orderId: string) =>
    (await sql<{ status: string }>('SELECT status FROM payments.payments WHERE order_id = $1', [orderId]))[0];

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
    expect(await levels(kettle.sku)).toEqual({ quantity: 8, reserved: 0 });
    expect(chargesFor(order.id)).toHaveLength(1);
    expect(await paymentOf(order.id)).toEqual({ status: 'COMPLETED' });
    expect(await shipmentsFor(order.id)).toBe(1);

    await waitFor(
      async () => (await sql("SELECT 1 FROM notifications.notifications WHERE template = 'order_confirmed' AND recipient_user_id = $1", [customer.id])).length === 1,
      { what: 'the confirmation notification' },
    );
    const report = await waitFor(async () => {
      const answer = await shop.http.get('/api/v1/reporting/orders?status=CONFIRMED&pageSize=100', { token: admin });
      return (answer.body.items as { orderId: string }[]).find((row) => row.orderId === order.id);
    }, { what: 'the reporting row' });
    expect(report).toMatchObject({ userName: 'Grace', status: 'CONFIRMED' });
  });

  it('should cancel a declined payment with PAYMENT_DECLINED, returning the stock exactly and shipping nothing', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 7 });
    const customer = await shop.customer();
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 3 }], { paymentToken: 'tok_declined' }));
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED', shipment: null });
    expect(await levels(kettle.sku)).toEqual({ quantity: 7, reserved: 0 });
    expect(await shipmentsFor(order.id)).toBe(0);
    expect(chargesFor(order.id)).toHaveLength(0);
  });

  it('should cancel with OUT_OF_STOCK when stock is short, charging nothing', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 1 });
    const customer = await shop.customer();
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 2 }]));
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
    expect(chargesFor(order.id)).toHaveLength(0);
    expect(await paymentOf(order.id)).toBeUndefined();
    expect(await levels(kettle.sku)).toEqual({ quantity: 1, reserved: 0 });
  });

  it('should refund and release when shipping refuses', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 5 });
    const customer = await shop.customer();
    const abroad = { name: 'Ken', line1: '1-1 Chiyoda', city: 'Tokyo', postalCode: '100-0001', country: 'JP' };
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 2 }], { shippingAddress: abroad }));
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'NOT_SHIPPABLE' });
    expect(await paymentOf(order.id)).toEqual({ status: 'REFUNDED' });
    expect(chargesFor(order.id)).toMatchObject([{ refunded: true }]);
    expect(await levels(kettle.sku)).toEqual({ quantity: 5, reserved: 0 });
    expect(await shipmentsFor(order.id)).toBe(0);
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
    expect((await sql('SELECT 1 FROM ordering.orders WHERE user_id = $1', [customer.id])).length).toBe(1);
    expect(chargesFor(orderId)).toHaveLength(1);

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
        (await sql<{ n: number }>("SELECT count(*)::int AS n FROM ordering.orders WHERE id = ANY($1::uuid[]) AND status IN ('CONFIRMED', 'CANCELLED')", [ids]))[0]!
          .n === 50,
      { what: 'all 50 orders to settle', timeoutMs: 45_000 },
    );
    const outcomes = await Promise.all(placed.map(({ customer, id }) => settledOrder(shop.http, customer.token, id)));
    expect(outcomes.filter((o) => o.status === 'CONFIRMED')).toHaveLength(10);
    expect(outcomes.filter((o) => o.cancellationReason === 'OUT_OF_STOCK')).toHaveLength(40);
    expect(await levels(kettle.sku)).toEqual({ quantity: 0, reserved: 0 });
  }, 60_000);

  it('should not let one customer read or cancel another customer\'s order (BOLA)', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 5 });
    const alice = await shop.customer();
    const bob = await shop.customer();
    const placed = await placeOrder(shop.http, alice.token, orderBody([{ item: kettle, quantity: 1 }]));
    const read = await shop.http.get(`/api/v1/orders/${placed.body.id}`, { token: bob.token });
    expect(read.status).toBe(404);
    const cancel = await shop.http.post(`/api/v1/orders/${placed.body.id}/cancel`, { token: bob.token });
    expect(cancel.status).toBe(404);
    const history = await shop.http.get('/api/v1/orders', { token: bob.token });
    expect(history.body).toMatchObject({ items: [], total: 0 });
    expect((await shop.http.get(`/api/v1/orders/${placed.body.id}`, { token: admin })).status).toBe(200);
    await settledOrder(shop.http, alice.token, placed.body.id);
  });

  it('should list the caller\'s history, newest first, paged', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 20 });
    const customer = await shop.customer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]))).body.id);
    const first = await shop.http.get('/api/v1/orders?pageSize=2', { token: customer.token });
    expect(first.body).toMatchObject({ page: 1, pageSize: 2, total: 3 });
    expect(first.body.items.map((o: { id: string }) => o.id)).toEqual([ids[2], ids[1]]);
    const second = await shop.http.get('/api/v1/orders?pageSize=2&page=2', { token: customer.token });
    expect(second.body.items.map((o: { id: string }) => o.id)).toEqual([ids[0]]);
    for (const id of ids) await settledOrder(shop.http, customer.token, id);
  });

  it('should refuse bad requests naming each field, and unknown products, storing nothing', async () => {
    const customer = await shop.customer();
    const missingKey = await shop.http.post('/api/v1/orders', { token: customer.token, body: {} });
    expect(missingKey.status).toBe(400);
    expect((missingKey.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      'idempotency-key',
      'lines',
      'paymentToken',
      'shippingAddress',
    ]);
    const unknown = await placeOrder(shop.http, customer.token, {
      lines: [{ productId: randomUUID(), sku: 'NOPE-1', quantity: 1 }],
      shippingAddress: { name: 'X', line1: 'Y', city: 'Z', postalCode: '1', country: 'DE' },
      paymentToken: 'tok_visa',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'ORDERING.UNORDERABLE_LINES', errors: [{ field: 'lines.0.productId' }] });
    // A cheap product's id with a dear product's SKU: refused, not priced as one and shipped as the other.
    const cheap = await sellable(shop.http, admin, { stock: 5, price: 100 });
    const dear = await sellable(shop.http, admin, { stock: 5, price: 90_000 });
    const swapped = await placeOrder(shop.http, customer.token, {
      ...orderBody([{ item: cheap, quantity: 1 }]),
      lines: [{ productId: cheap.productId, sku: dear.sku, quantity: 1 }],
    });
    expect(swapped.status).toBe(400);
    expect(swapped.body.errors).toEqual([{ field: 'lines.0.sku', message: 'this SKU is stock of another product' }]);
    // Totals the checkout cannot take: nothing to pay, or beyond what can be stored and charged.
    const free = await sellable(shop.http, admin, { stock: 5, price: 0 });
    const nothingToPay = await placeOrder(shop.http, customer.token, orderBody([{ item: free, quantity: 1 }]));
    expect(nothingToPay.status).toBe(400);
    expect(nothingToPay.body.errors).toEqual([{ field: 'lines', message: expect.stringContaining('costs nothing') }]);
    const jewel = await sellable(shop.http, admin, { stock: 5, price: 2_000_000_000 });
    const tooDear = await placeOrder(shop.http, customer.token, orderBody([{ item: jewel, quantity: 2 }]));
    expect(tooDear.status).toBe(400);
    expect(tooDear.body.errors).toEqual([{ field: 'lines', message: expect.stringContaining('largest amount') }]);
    expect(await sql('SELECT 1 FROM ordering.orders WHERE user_id = $1', [customer.id])).toHaveLength(0);
    expect((await shop.http.post('/api/v1/orders', { body: {}, headers: { 'idempotency-key': 'k' } })).status).toBe(401);
  });

  it('should refuse to cancel an order that is already confirmed', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 4 });
    const customer = await shop.customer();
    const confirmed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
    await settledOrder(shop.http, customer.token, confirmed.body.id);
    const late = await shop.http.post(`/api/v1/orders/${confirmed.body.id}/cancel`, { token: customer.token });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('ORDERING.ORDER_NOT_CANCELLABLE');
  });

  it('should still answer an order with "Unknown" names and a degraded list when identity and catalog fail', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 3, name: 'Copper kettle' });
    const customer = await shop.customer('Hopper');
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
    await settledOrder(shop.http, customer.token, placed.body.id);
    await sql('ALTER TABLE identity.users RENAME TO users_gone');
    await sql('ALTER TABLE catalog.products RENAME TO products_gone');
    try {
      const answer = await shop.http.get(`/api/v1/orders/${placed.body.id}`, { token: customer.token });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'CONFIRMED', userName: 'Unknown', degraded: ['userName', 'productNames'] });
      expect(answer.body.lines[0].productName).toBe('Unknown');
    } finally {
      await sql('ALTER TABLE identity.users_gone RENAME TO users');
      await sql('ALTER TABLE catalog.products_gone RENAME TO products');
    }
    const healthy = await shop.http.get(`/api/v1/orders/${placed.body.id}`, { token: customer.token });
    expect(healthy.body).toMatchObject({ userName: 'Hopper', degraded: [] });
    expect(healthy.body.lines[0].productName).toBe('Copper kettle');
  });
});
