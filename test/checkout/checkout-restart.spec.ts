import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { PAYMENT_PROVIDER } from '../../src/modules/payments/provider/payment-provider.js';
import type { SimulatedPaymentProvider } from '../../src/modules/payments/provider/simulated-payment-provider.js';
import { orderBody, placeOrder, sellable } from '../support/checkout-fixture.js';
import { httpClient } from '../support/http-client.js';
import { startShopProcess, type ShopProcess } from '../support/shop-process.js';
import { ADMIN, startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait-for.js';

/**
 * A real `node dist/main.js` is SIGKILLed while its checkout saga waits on the
 * payment provider (after reserving stock, in the middle of the payment step). A new
 * process resumes the saga from its persisted state, and no step takes effect twice.
 */
describe('a checkout whose process is killed between saga steps', () => {
  let proc: ShopProcess | undefined;
  let shop: TestApp | undefined;

  afterAll(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await shop?.close();
  });

  it('should resume on restart and confirm, with stock, payment and shipment applied once', async () => {
    const database = await createTestDatabase();
    const sql = <R extends Record<string, unknown>>(text: string, params: unknown[] = []) => database.sql<R>(text, params);
    // A slow provider holds the saga in the payment step; a short lease lets the next process take over soon.
    proc = await startShopProcess({
      DATABASE_URL: database.url,
      PAYMENTS_SIM_LATENCY_MS: '60000',
      CHECKOUT_STEP_TIMEOUT_MS: '120000',
      CHECKOUT_LEASE_MS: '1000',
    });
    const http = httpClient(proc.url);
    const admin = (await http.post('/api/v1/identity/login', { body: ADMIN })).body.accessToken as string;
    const kettle = await sellable(http, admin, { stock: 9 });
    const email = `restart-${randomUUID().slice(0, 8)}@test.local`;
    const registered = await http.post('/api/v1/identity/register', { body: { email, password: 'a-long-password', name: 'Restart' } });
    const token = (await http.post('/api/v1/identity/login', { body: { email, password: 'a-long-password' } })).body.accessToken as string;
    const placed = await placeOrder(http, token, orderBody([{ item: kettle, quantity: 3 }]));
    expect(placed.status).toBe(202);
    const orderId = placed.body.id as string;

    await waitFor(
      async () =>
        (await sql("SELECT 1 FROM payments.payments WHERE order_id = $1 AND status = 'PENDING'", [orderId])).length === 1,
      { what: 'the payment step to be under way' },
    );
    expect((await sql('SELECT state FROM ordering.checkout_sagas WHERE order_id = $1', [orderId]))[0]).toEqual({
      state: 'PROCESSING_PAYMENT',
    });
    proc.child.kill('SIGKILL');
    expect((await proc.exited).signal).toBe('SIGKILL');

    shop = await startTestApp({ database, env: { CHECKOUT_LEASE_MS: '1000', CHECKOUT_RESUME_EVERY_MS: '100' } });
    // The new process has its own signing keys: log in again.
    const again = (await shop.http.post('/api/v1/identity/login', { body: { email, password: 'a-long-password' } })).body
      .accessToken as string;
    const order = await waitFor(
      async () => {
        const answer = await shop!.http.get(`/api/v1/orders/${orderId}`, { token: again });
        return answer.body.status === 'CONFIRMED' ? answer.body : undefined;
      },
      { what: 'the resumed checkout to confirm', timeoutMs: 20_000 },
    );
    expect(order.userId).toBe(registered.body.id);

    // Each step took effect once.
    expect(await sql('SELECT status, lines FROM inventory.reservations WHERE order_id = $1', [orderId])).toEqual([
      { status: 'COMMITTED', lines: [{ sku: kettle.sku, quantity: 3 }] },
    ]);
    expect(await sql('SELECT quantity, reserved FROM inventory.stock_items WHERE sku = $1', [kettle.sku])).toEqual([
      { quantity: 6, reserved: 0 },
    ]);
    expect(await sql('SELECT status FROM payments.payments WHERE order_id = $1', [orderId])).toEqual([{ status: 'COMPLETED' }]);
    const charges = shop.app.get<SimulatedPaymentProvider>(PAYMENT_PROVIDER).charges().filter((c) => c.description.includes(orderId));
    expect(charges).toHaveLength(1);
    expect(await sql('SELECT 1 FROM shipping.shipments WHERE order_id = $1', [orderId])).toHaveLength(1);
    expect(
      await sql("SELECT type FROM ordering.outbox WHERE payload->>'orderId' = $1 ORDER BY seq", [orderId]),
    ).toEqual([{ type: 'ordering.OrderPlaced' }, { type: 'ordering.OrderConfirmed' }]);
  }, 60_000);
});
