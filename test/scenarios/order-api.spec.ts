import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import type { Placement } from '../support/placement.js';
import { useSharedPlacement } from './observe.js';

/**
 * The order API's views and refusals, in every placement: whose orders a customer sees,
 * in what order, and what an order may not be (several of these checks ask catalog and
 * inventory, wherever they run).
 */
describe('the order API', () => {
  let shop: Placement;
  let admin: string;

  useSharedPlacement((placement, adminToken) => {
    shop = placement;
    admin = adminToken;
  });

  it("should not let one customer read or cancel another customer's order (BOLA)", async () => {
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

  it("should list the caller's history, newest first, paged", async () => {
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
    expect(await shop.sql('SELECT 1 FROM ordering.orders WHERE user_id = $1', [customer.id])).toHaveLength(0);
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
});
