import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { testRedisUrl } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The checkout with events travelling through Redis (BullMQ): the saga is the same,
 * and the choreography after it (notifications, reporting) arrives through each
 * consumer's own queue.
 */
describe('checkout with BullMQ delivery', () => {
  let shop: TestApp;
  let admin: string;

  beforeAll(async () => {
    shop = await startTestApp({ env: { REDIS_URL: testRedisUrl(), EVENTS_QUEUE_PREFIX: `c${randomUUID().slice(0, 8)}` } });
    admin = await shop.adminToken();
  });
  afterAll(async () => {
    await shop.close();
  });

  const templatesFor = async (userId: string) =>
    (
      await shop.database!.sql<{ template: string }>(
        'SELECT template FROM notifications.notifications WHERE recipient_user_id = $1 ORDER BY template',
        [userId],
      )
    ).map((r) => r.template);
  const reportRow = async (orderId: string) => {
    const answer = await shop.http.get('/api/v1/reporting/orders?pageSize=100', { token: admin });
    return (answer.body.items as { orderId: string; status: string }[]).find((row) => row.orderId === orderId);
  };

  it('should confirm, tell the customer, and report the order', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 5 });
    const customer = await shop.customer('Lin');
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order.status).toBe('CONFIRMED');
    await waitFor(async () => (await templatesFor(customer.id)).length === 3, { what: 'the three notifications' });
    expect(await templatesFor(customer.id)).toEqual(['order_confirmed', 'shipment_created', 'welcome']);
    const row = await waitFor(async () => (await reportRow(order.id))?.status === 'CONFIRMED' && reportRow(order.id), {
      what: 'the confirmed reporting row',
    });
    expect(row).toMatchObject({ userName: 'Lin', status: 'CONFIRMED' });
  });

  it('should cancel a declined order and tell the customer why', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 5 });
    const customer = await shop.customer();
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }], { paymentToken: 'tok_declined' }));
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    await waitFor(async () => (await templatesFor(customer.id)).length === 3, { what: 'the notifications' });
    expect(await templatesFor(customer.id)).toEqual(['order_cancelled', 'payment_failed', 'welcome']);
    await waitFor(async () => (await reportRow(order.id))?.status === 'CANCELLED', { what: 'the cancelled reporting row' });
  });
});
