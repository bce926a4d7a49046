import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../src/platform/events/outbox-relay.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

describe('outbox retention', () => {
  let shop: TestApp;
  beforeAll(async () => {
    shop = await startTestApp({ env: { EVENTS_RETENTION_DAYS: '1' } });
  });
  afterAll(async () => {
    await shop.close();
  });

  it('should keep published events for the retention period and prune them after it, never unpublished ones', async () => {
    const admin = await shop.adminToken();
    for (const name of ['Old', 'Recent']) {
      await shop.http.post('/api/v1/catalog/products', {
        token: admin,
        body: { name, category: 'retention', price: { amount: 1, currency: 'EUR' } },
      });
    }
    await waitFor(async () => (await shop.database!.sql('SELECT 1 FROM catalog.outbox WHERE published_at IS NULL')).length === 0, {
      what: 'the events to be published',
    });
    // Age one published event past the retention period, and leave one unpublished but old.
    await shop.database!.sql(
      "UPDATE catalog.outbox SET published_at = now() - interval '2 days' WHERE payload->>'name' = 'Old'",
    );
    await shop.database!.sql(
      `INSERT INTO catalog.outbox (id, type, version, payload, occurred_at, correlation_id, causation_id, claimed_until)
       VALUES (gen_random_uuid(), 'catalog.ProductChanged', 1, '{"name":"Pending"}', now() - interval '3 days', 'c', 'c', now() + interval '1 hour')`,
    );
    await shop.app.get(OutboxRelay).prune();
    const left = await shop.database!.sql<{ name: string }>("SELECT payload->>'name' AS name FROM catalog.outbox ORDER BY seq");
    expect(left.map((r) => r.name)).toEqual(['Recent', 'Pending']);
  });
});
