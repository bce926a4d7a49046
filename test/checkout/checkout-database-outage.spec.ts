import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { testPostgresUrl } from '../support/test-env.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The database goes away in the middle of a checkout, long enough that the saga can
 * neither record its step nor give its lease back, then returns. The saga must go on
 * by itself once it can, not sit out its lease (here five minutes) before anyone
 * resumes it.
 */
describe('checkout across a database outage', () => {
  let shop: TestApp;
  let admin: string;
  const superuser = new pg.Client({ connectionString: testPostgresUrl() });

  beforeAll(async () => {
    shop = await startTestApp({
      env: { PAYMENTS_SIM_LATENCY_MS: '1500', CHECKOUT_LEASE_MS: '300000', CHECKOUT_RETRY_BACKOFF_MS: '100' },
    });
    admin = await shop.adminToken();
    await superuser.connect();
  });
  afterAll(async () => {
    await superuser.query(`ALTER DATABASE ${shop.database!.name} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
    await superuser.end();
    await shop.close();
  });

  it('should confirm the order once the database is back, without waiting for its lease', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 3 });
    const customer = await shop.customer();
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
    expect(placed.status).toBe(202);
    const state = async () =>
      (await shop.database!.sql<{ state: string }>('SELECT state FROM ordering.checkout_sagas WHERE order_id = $1', [placed.body.id]))[0]?.state;
    // While the provider takes its 1.5 s, the database stops taking connections and drops those it had.
    await waitFor(async () => (await state()) === 'PROCESSING_PAYMENT', { what: 'the payment step' });
    const name = shop.database!.name;
    await superuser.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    await superuser.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    const linesBefore = shop.logs.length;
    try {
      // The saga meets the outage: its step's outcome cannot be recorded, nor its lease given back.
      await waitFor(() => shop.logs.slice(linesBefore).some((line) => /checkout saga/.test(String(line.msg)) && line.orderId === placed.body.id), {
        what: 'the saga to meet the outage',
        timeoutMs: 20_000,
      });
    } finally {
      await superuser.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    }
    const order = await settledOrder(shop.http, customer.token, placed.body.id);
    expect(order.status).toBe('CONFIRMED');
    expect(await shop.database!.sql('SELECT status FROM payments.payments WHERE order_id = $1', [order.id])).toEqual([{ status: 'COMPLETED' }]);
    const outage = shop.logs.slice(linesBefore).filter((line) => line.orderId === placed.body.id && line.level === 'error');
    expect(outage, 'a database outage is not an error of the saga').toEqual([]);
  });
});
