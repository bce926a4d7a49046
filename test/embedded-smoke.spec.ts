import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADDRESS, placeOrder, settledOrder } from './support/checkout-fixture.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * `npm start` on a bare machine: no DATABASE_URL, no admin configured. The shop runs
 * on embedded PGlite in the data folder, takes an order through checkout, and keeps
 * everything across a restart.
 */
describe('embedded PGlite smoke scenario', () => {
  const bare = { BOOTSTRAP_ADMIN_EMAIL: '', BOOTSTRAP_ADMIN_PASSWORD: '' };
  let shop: TestApp | undefined;

  afterAll(async () => {
    await shop?.close();
  });

  it('should serve the admin story and keep its data across a restart', async () => {
    shop = await startTestApp({ embedded: true, env: bare });
    expect(shop.logs[0]).toMatchObject({ level: 'warn', msg: expect.stringContaining('embedded PGlite') });
    const ready = await shop.http.get('/health/ready');
    expect(ready.body).toEqual({ status: 'ok', database: 'pglite', services: {} });

    // No admin was configured, so one was made and its credentials written for the operator.
    const credentialsFile = path.join(shop.dataDir, 'initial-admin.json');
    expect(statSync(credentialsFile).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { email: string; password: string };
    const login = await shop.http.post('/api/v1/identity/login', { body: credentials });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;

    const product = await shop.http.post('/api/v1/catalog/products', {
      token,
      body: { name: 'Embedded teapot', category: 'kitchen', price: { amount: 3100, currency: 'EUR' } },
    });
    expect(product.status).toBe(201);
    const stock = await shop.http.put('/api/v1/inventory/TEAPOT-1', {
      token,
      body: { productId: product.body.id, quantity: 4, location: 'Shelf 9' },
    });
    expect(stock.status).toBe(201);
    const read = await shop.http.get('/api/v1/inventory/TEAPOT-1', { token });
    expect(read.body).toMatchObject({ quantity: 4, productName: 'Embedded teapot', degraded: [] });

    // A whole checkout on the single embedded connection: saga, compensation-free path, events.
    const shippable = await shop.http.put(`/api/v1/shipping/items/${product.body.id}`, {
      token,
      body: { weightGrams: 900, lengthMm: 200, widthMm: 150, heightMm: 180, hazardous: false },
    });
    expect(shippable.status).toBe(201);
    const customer = await shop.customer('Embedded customer');
    const placed = await placeOrder(shop.http, customer.token, {
      lines: [{ productId: product.body.id, sku: 'TEAPOT-1', quantity: 1 }],
      shippingAddress: ADDRESS,
      paymentToken: 'tok_visa',
    });
    expect(placed.status).toBe(202);
    expect(await settledOrder(shop.http, customer.token, placed.body.id)).toMatchObject({ status: 'CONFIRMED' });

    // A second process on the same data folder is refused instead of corrupting it.
    await expect(startTestApp({ embedded: true, env: bare, dataDir: shop.dataDir })).rejects.toThrow(/in use by process/);

    const dataDir = shop.dataDir;
    await shop.close({ keepData: true });
    shop = await startTestApp({ embedded: true, env: bare, dataDir });

    // Same signing key (kept in the data folder), same rows, and no second admin.
    const again = await shop.http.get('/api/v1/inventory/TEAPOT-1', { token });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ quantity: 3, productName: 'Embedded teapot' });
    expect(JSON.parse(readFileSync(credentialsFile, 'utf8'))).toEqual(credentials);
  });
});
