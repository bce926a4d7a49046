import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYMENT_PROVIDER } from '../../src/modules/payments/provider/payment-provider.js';
import type { SimulatedPaymentProvider } from '../../src/modules/payments/provider/simulated-payment-provider.js';
import { orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Checkout when things go wrong on purpose: a payment held mid-step (so a customer can
 * cancel mid-checkout) and a provider that never settles a charge (so the
 * compensation cannot finish and must be parked for an operator).
 */
describe('checkout faults', () => {
  let shop: TestApp;
  let admin: string;

  beforeAll(async () => {
    shop = await startTestApp({
      env: { PAYMENTS_SIM_LATENCY_MS: '50', CHECKOUT_COMPENSATION_ATTEMPTS: '2', CHECKOUT_RETRY_BACKOFF_MS: '20' },
    });
    admin = await shop.adminToken();
  });
  afterAll(async () => {
    await shop.close();
  });

  const sql = <R extends Record<string, unknown>>(text: string, params: unknown[] = []) => shop.database!.sql<R>(text, params);
  const levels = async (sku: string) =>
    (await sql<{ quantity: number; reserved: number }>('SELECT quantity, reserved FROM inventory.stock_items WHERE sku = $1', [sku]))[0];
  const sagaState = async (orderId: string) =>
    (await sql<{ state: string }>('SELECT state FROM ordering.checkout_sagas WHERE order_id = $1', [orderId]))[0]?.state;

  it('should let a customer cancel while checkout runs: refunded, released, CUSTOMER_CANCELLED', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 4 });
    const customer = await shop.customer();
    // The payment step is held where it writes its PENDING row, so the saga stays in
    // PROCESSING_PAYMENT for as long as the customer needs, however slow the machine.
    const hold = new pg.Client({ connectionString: shop.database!.url });
    await hold.connect();
    let placed: Awaited<ReturnType<typeof placeOrder>>;
    try {
      await hold.query('BEGIN');
      await hold.query('LOCK TABLE payments.payments IN EXCLUSIVE MODE');
      placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
      await waitFor(async () => (await sagaState(placed.body.id)) === 'PROCESSING_PAYMENT', { what: 'the payment step' });
      const cancel = await shop.http.post(`/api/v1/orders/${placed.body.id}/cancel`, { token: customer.token });
      expect(cancel.status).toBe(202);
    } finally {
      await hold.query('COMMIT');
      await hold.end();
    }

    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'CUSTOMER_CANCELLED', shipment: null });
    expect(await levels(kettle.sku)).toEqual({ quantity: 4, reserved: 0 });
    expect((await sql('SELECT status FROM payments.payments WHERE order_id = $1', [order.id]))[0]).toEqual({ status: 'REFUNDED' });
    const again = await shop.http.post(`/api/v1/orders/${placed.body.id}/cancel`, { token: customer.token });
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('CANCELLED');
  });

  it('should park a compensation that keeps failing as COMPENSATION_FAILED, listed for operators', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 4 });
    const customer = await shop.customer();
    // The provider never answers for this card: the charge stays unknown, so it cannot be refunded either.
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }], { paymentToken: 'tok_unavailable' }));
    await waitFor(async () => (await sagaState(placed.body.id)) === 'PROCESSING_PAYMENT', { what: 'the payment step' });
    expect((await shop.http.post(`/api/v1/orders/${placed.body.id}/cancel`, { token: customer.token })).status).toBe(202);

    await waitFor(async () => (await sagaState(placed.body.id)) === 'COMPENSATION_FAILED', { what: 'the saga to be parked' });
    const listed = await shop.http.get('/api/v1/orders/checkouts', { token: admin });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({
        orderId: placed.body.id,
        state: 'COMPENSATION_FAILED',
        failureReason: 'CUSTOMER_CANCELLED',
        pendingCompensations: ['pay', 'reserve'],
        lastError: expect.stringContaining('PAYMENTS.PROVIDER_UNAVAILABLE'),
      }),
    );
    const seen = await shop.http.get(`/api/v1/orders/${placed.body.id}`, { token: customer.token });
    expect(seen.body).toMatchObject({ status: 'CANCELLING', cancellationReason: 'CUSTOMER_CANCELLED' });
    expect((await levels(kettle.sku))!.reserved).toBe(1); // not released yet: the refund comes first
    expect((await shop.http.get('/api/v1/orders/checkouts', { token: customer.token })).status).toBe(403);

    // An operator's retry sends it back to compensating; with the provider still down it is parked again.
    const retry = await shop.http.post(`/api/v1/orders/checkouts/${placed.body.id}/retry`, { token: admin });
    expect(retry.status).toBe(202);
    await waitFor(async () => (await sagaState(placed.body.id)) === 'COMPENSATION_FAILED', { what: 'the saga to be parked again' });
    const notParked = await shop.http.post(`/api/v1/orders/checkouts/${placed.body.id}/retry`, { token: admin });
    expect(notParked.status).toBe(202);
  });
});

/**
 * A payment provider slower than the step's deadline: every ProcessPayment call times
 * out on the saga's side (while the provider goes on with it), so the step runs past
 * CHECKOUT_STEP_DEADLINE_MS and the order is cancelled STEP_TIMED_OUT. Its outcome was
 * unknown, so it is compensated too: the charge that did happen behind the timeouts
 * is refunded, once.
 *
 * The provider's answer must come well after the deadline has been passed: the calls
 * time out at ~100 ms, ~250 ms and ~450 ms (backoff jitter included), and a retry that
 * finds the charge already made succeeds. With the answer at 300 ms, a run where the
 * second timeout fell just inside the deadline retried, found the charge and confirmed
 * the order; at 1,500 ms the third timeout is past the deadline with a second to spare.
 */
describe('a checkout step that never answers in time', () => {
  let shop: TestApp;

  beforeAll(async () => {
    shop = await startTestApp({
      env: {
        PAYMENTS_SIM_LATENCY_MS: '1500',
        CHECKOUT_STEP_TIMEOUT_MS: '100',
        CHECKOUT_STEP_DEADLINE_MS: '250',
        CHECKOUT_RETRY_BACKOFF_MS: '50',
        CHECKOUT_COMPENSATION_ATTEMPTS: '30',
      },
    });
  });
  afterAll(async () => {
    await shop.close();
  });

  it('should time the step out, cancel STEP_TIMED_OUT, and refund the charge made behind the timeouts once', async () => {
    const admin = await shop.adminToken();
    const kettle = await sellable(shop.http, admin, { stock: 3 });
    const customer = await shop.customer();
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order).toMatchObject({ status: 'CANCELLED', cancellationReason: 'STEP_TIMED_OUT', shipment: null });
    expect(await shop.database!.sql('SELECT status FROM payments.payments WHERE order_id = $1', [order.id])).toEqual([{ status: 'REFUNDED' }]);
    const charges = shop.app.get<SimulatedPaymentProvider>(PAYMENT_PROVIDER).charges().filter((c) => c.description.includes(order.id));
    expect(charges).toMatchObject([{ refunded: true }]);
    expect(await shop.database!.sql('SELECT quantity, reserved FROM inventory.stock_items WHERE sku = $1', [kettle.sku])).toEqual([
      { quantity: 3, reserved: 0 },
    ]);
  });
});
