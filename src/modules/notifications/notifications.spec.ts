import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNotificationSender } from '../../../test/support/fake-notification-sender.js';
import { ADMIN, startTestApp, type TestApp } from '../../../test/support/test-app.js';
import { waitFor } from '../../../test/support/wait-for.js';

describe('notifications', () => {
  let shop: TestApp;
  const sender = new FakeNotificationSender();

  beforeAll(async () => {
    shop = await startTestApp({ edges: { notificationSender: sender } });
  });
  afterAll(async () => {
    await shop.close();
  });

  const mine = (token: string, query = '') => shop.http.get(`/api/v1/notifications${query}`, { token });

  describe('WelcomeNewUser', () => {
    it("should welcome a new customer, and list it among that customer's notifications only", async () => {
      const ada = await shop.customer('Ada');
      const bob = await shop.customer('Bob');
      const adaPage = await waitFor(async () => {
        const page = await mine(ada.token);
        return page.body.total === 1 ? page : undefined;
      }, { what: "Ada's welcome" });
      expect(adaPage.body.items[0]).toMatchObject({ recipientUserId: ada.id, template: 'welcome', channel: 'email' });
      expect(adaPage.body.items[0].body).toContain('Ada');
      await waitFor(async () => (await mine(bob.token)).body.total === 1, { what: "Bob's welcome" });
      // Bob sees his own welcome, never Ada's.
      const bobPage = await mine(bob.token);
      expect(bobPage.body.items.map((n: { recipientUserId: string }) => n.recipientUserId)).toEqual([bob.id]);
      expect(sender.sent.filter((m) => m.to === ada.email)).toHaveLength(1);
    });

    it('should require a token and validate paging', async () => {
      expect((await shop.http.get('/api/v1/notifications')).status).toBe(401);
      const customer = await shop.customer();
      const bad = await mine(customer.token, '?page=0');
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'page' })]);
    });
  });

  describe('AlertAdminsOfLowStock', () => {
    it('should message every admin once when stock falls to its reorder point, and not again while it stays low', async () => {
      const admin = await shop.adminToken();
      const product = await shop.http.post('/api/v1/catalog/products', {
        token: admin,
        body: { name: 'Kettle', category: 'kitchen', price: { amount: 2500, currency: 'EUR' } },
      });
      const set = (quantity: number) =>
        shop.http.put('/api/v1/inventory/KETTLE-1', {
          token: admin,
          body: { productId: product.body.id, quantity, location: 'B-2', reorderPoint: 5 },
        });
      expect((await set(20)).status).toBe(201);
      expect((await set(4)).status).toBe(200); // crosses the reorder point
      expect((await set(3)).status).toBe(200); // still low: no second alert

      const alerts = await waitFor(async () => {
        const page = await mine(admin);
        const found = page.body.items.filter((n: { template: string }) => n.template === 'stock_low');
        return found.length ? found : undefined;
      }, { what: 'the low-stock alert' });
      expect(alerts).toHaveLength(1);
      expect(alerts[0].subject).toBe('Stock low: KETTLE-1');
      expect(alerts[0].body).toContain('4 available');
      expect(sender.sent.filter((m) => m.to === ADMIN.email && m.subject === 'Stock low: KETTLE-1')).toHaveLength(1);
      const published = await shop.database!.sql("SELECT count(*)::int AS n FROM inventory.outbox WHERE type = 'inventory.StockLow'");
      expect(published[0]!.n).toBe(1);
    });
  });

  describe('ProductChanged', () => {
    it('should be published with the change that caused it, and not for a rejected change', async () => {
      const admin = await shop.adminToken();
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const created = await shop.http.post('/api/v1/catalog/products', {
        token: admin,
        body: { name: 'Mug', category: 'kitchen', price: { amount: 900, currency: 'EUR' } },
        headers: { traceparent, 'x-request-id': 'create-mug-1' },
      });
      await shop.http.patch(`/api/v1/catalog/products/${created.body.id}`, { token: admin, body: { name: 'Big mug' } });
      const failed = await shop.http.patch(`/api/v1/catalog/products/${created.body.id}`, { token: admin, body: { name: '' } });
      expect(failed.status).toBe(400);
      const rows = await shop.database!.sql<{ payload: { change: string; name: string } }>(
        "SELECT payload FROM catalog.outbox WHERE type = 'catalog.ProductChanged' AND payload->>'productId' = $1 ORDER BY seq",
        [created.body.id],
      );
      expect(rows.map((r) => [r.payload.change, r.payload.name])).toEqual([
        ['created', 'Mug'],
        ['updated', 'Big mug'],
      ]);
      // The envelope carries what caused it: the request's id and its W3C trace context.
      const [first] = await shop.database!.sql(
        "SELECT correlation_id, causation_id, traceparent, version FROM catalog.outbox WHERE payload->>'productId' = $1 ORDER BY seq LIMIT 1",
        [created.body.id],
      );
      expect(first).toEqual({ correlation_id: 'create-mug-1', causation_id: 'create-mug-1', traceparent, version: 1 });
    });
  });
});
