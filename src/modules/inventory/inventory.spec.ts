import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/test-app.js';

describe('inventory', () => {
  let shop: TestApp;
  let admin: string;
  let productId: string;

  beforeAll(async () => {
    shop = await startTestApp();
    admin = await shop.adminToken();
    const product = await shop.http.post('/api/v1/catalog/products', {
      token: admin,
      body: { name: 'Ceramic mug', category: 'kitchen', price: { amount: 1200, currency: 'EUR' } },
    });
    productId = product.body.id;
  });
  afterAll(async () => {
    await shop.close();
  });

  const setStock = (sku: string, body: object, token = admin) => shop.http.put(`/api/v1/inventory/${sku}`, { token, body });

  describe('SetStock', () => {
    it('should create a stock item (201) and then update it (200)', async () => {
      const created = await setStock('MUG-1', { productId, quantity: 10, location: 'A-01', reorderPoint: 2 });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ sku: 'MUG-1', productId, quantity: 10, reserved: 0, available: 10 });
      const updated = await setStock('MUG-1', { productId, quantity: 25, location: 'A-02' });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ quantity: 25, location: 'A-02', reorderPoint: 0 });
    });

    it('should refuse a product the catalog does not know, storing nothing', async () => {
      const answer = await setStock('GHOST-1', {
        productId: '00000000-0000-4000-8000-000000000000',
        quantity: 1,
        location: 'A',
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'INVENTORY.UNKNOWN_PRODUCT', errors: [{ field: 'productId' }] });
      expect(await shop.database!.sql("SELECT 1 FROM inventory.stock_items WHERE sku = 'GHOST-1'")).toHaveLength(0);
    });

    it('should validate the SKU and every body field', async () => {
      const answer = await setStock('bad sku!', { productId: 'nope', quantity: -1, location: '' });
      expect(answer.status).toBe(400);
      expect((answer.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
        'location',
        'productId',
        'quantity',
        'sku',
      ]);
    });

    it('should refuse to lower the quantity below what is reserved (409)', async () => {
      await setStock('MUG-R', { productId, quantity: 5, location: 'A' });
      await shop.database!.sql("UPDATE inventory.stock_items SET reserved = 3 WHERE sku = 'MUG-R'");
      const answer = await setStock('MUG-R', { productId, quantity: 2, location: 'A' });
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe('INVENTORY.QUANTITY_BELOW_RESERVED');
    });

    it('should be for admins only', async () => {
      const customer = await shop.customer();
      expect((await setStock('MUG-C', { productId, quantity: 1, location: 'A' }, customer.token)).status).toBe(403);
    });
  });

  describe('GetStockWithName', () => {
    it('should answer the stock with the product name from catalog', async () => {
      await setStock('MUG-N', { productId, quantity: 7, location: 'B-01', reorderPoint: 1 });
      const customer = await shop.customer();
      const answer = await shop.http.get('/api/v1/inventory/MUG-N', { token: customer.token });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ sku: 'MUG-N', quantity: 7, productName: 'Ceramic mug', degraded: [] });
    });

    it('should answer 404 for an unknown SKU', async () => {
      const answer = await shop.http.get('/api/v1/inventory/NOPE-1', { token: admin });
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('INVENTORY.STOCK_ITEM_NOT_FOUND');
    });

    it('should still answer 200 with "Unknown" and a degraded flag when catalog fails', async () => {
      await setStock('MUG-D', { productId, quantity: 3, location: 'C-01' });
      // A real fault in catalog: its table disappears from under it.
      await shop.database!.sql('ALTER TABLE catalog.products RENAME TO products_gone');
      try {
        const answer = await shop.http.get('/api/v1/inventory/MUG-D', {
          token: admin,
          headers: { 'x-request-id': 'degraded-read-1' },
        });
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ sku: 'MUG-D', quantity: 3, productName: 'Unknown', degraded: ['productName'] });
        // The warning logged inside the handler carries the request id.
        expect(shop.logs).toContainEqual(
          expect.objectContaining({ level: 'warn', requestId: 'degraded-read-1', sku: 'MUG-D' }),
        );
        // A write that needs catalog is refused instead of guessing.
        const write = await setStock('MUG-D', { productId, quantity: 4, location: 'C-01' });
        expect(write.status).toBe(503);
      } finally {
        await shop.database!.sql('ALTER TABLE catalog.products_gone RENAME TO products');
      }
    });
  });
});
