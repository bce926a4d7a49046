import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { CommitStock, ReleaseStock, ReserveStock, type StockLine } from '../contract.js';

/** ReserveStock, ReleaseStock and CommitStock as the checkout saga calls them: through the contract bus. */
describe('stock reservations', () => {
  let shop: TestApp;
  let bus: ContractBus;
  let admin: string;
  let productId: string;

  beforeAll(async () => {
    shop = await startTestApp();
    bus = shop.app.get(ContractBus);
    admin = await shop.adminToken();
    const product = await shop.http.post('/api/v1/catalog/products', {
      token: admin,
      body: { name: 'Teapot', category: 'kitchen', price: { amount: 3000, currency: 'EUR' } },
    });
    productId = product.body.id;
  });
  afterAll(async () => {
    await shop.close();
  });

  const stock = async (sku: string, quantity: number, reorderPoint = 0) =>
    expect(
      (await shop.http.put(`/api/v1/inventory/${sku}`, { token: admin, body: { productId, quantity, location: 'B-1', reorderPoint } }))
        .status,
    ).toBeLessThan(300);
  const levels = async (sku: string) =>
    (await shop.database!.sql<{ quantity: number; reserved: number }>(
      'SELECT quantity, reserved FROM inventory.stock_items WHERE sku = $1',
      [sku],
    ))[0];
  const reserve = (orderId: string, lines: StockLine[]) => bus.execute(new ReserveStock(orderId, lines));

  it('should reserve every line or none, naming the short line', async () => {
    await stock('POT-A', 5);
    await stock('POT-B', 1);
    const order = randomUUID();
    await expect(reserve(order, [{ sku: 'POT-A', quantity: 2 }, { sku: 'POT-B', quantity: 2 }])).rejects.toMatchObject({
      code: 'INVENTORY.OUT_OF_STOCK',
      fields: [{ field: 'lines.1.quantity', message: 'only 1 available' }],
    });
    expect(await levels('POT-A')).toEqual({ quantity: 5, reserved: 0 });
    expect(await shop.database!.sql('SELECT 1 FROM inventory.reservations WHERE order_id = $1', [order])).toHaveLength(0);

    const reserved = await reserve(order, [{ sku: 'POT-A', quantity: 2 }, { sku: 'POT-B', quantity: 1 }]);
    expect(reserved).toMatchObject({ orderId: order, status: 'RESERVED' });
    expect(await levels('POT-A')).toEqual({ quantity: 5, reserved: 2 });
    expect(await levels('POT-B')).toEqual({ quantity: 1, reserved: 1 });
  });

  it('should answer a repeat from the first reservation and reserve once', async () => {
    await stock('POT-C', 10);
    const order = randomUUID();
    const lines = [{ sku: 'POT-C', quantity: 3 }];
    await Promise.all(Array.from({ length: 10 }, () => reserve(order, lines)));
    await reserve(order, lines);
    expect(await levels('POT-C')).toEqual({ quantity: 10, reserved: 3 });
  });

  it('should give released units back exactly once, and commit units off the shelf', async () => {
    await stock('POT-D', 8);
    const released = randomUUID();
    await reserve(released, [{ sku: 'POT-D', quantity: 3 }]);
    await Promise.all([bus.execute(new ReleaseStock(released)), bus.execute(new ReleaseStock(released))]);
    expect(await levels('POT-D')).toEqual({ quantity: 8, reserved: 0 });
    await expect(reserve(released, [{ sku: 'POT-D', quantity: 3 }])).rejects.toMatchObject({
      code: 'INVENTORY.RESERVATION_RELEASED',
    });

    const sold = randomUUID();
    await reserve(sold, [{ sku: 'POT-D', quantity: 2 }]);
    await bus.execute(new CommitStock(sold));
    await bus.execute(new CommitStock(sold));
    expect(await levels('POT-D')).toEqual({ quantity: 6, reserved: 0 });
    await expect(bus.execute(new ReleaseStock(sold))).rejects.toMatchObject({ code: 'INVENTORY.RESERVATION_COMMITTED' });
    await expect(bus.execute(new CommitStock(randomUUID()))).rejects.toMatchObject({
      code: 'INVENTORY.RESERVATION_NOT_FOUND',
    });
  });

  it('should leave a tombstone when released before anything was reserved, so a late reservation takes nothing', async () => {
    await stock('POT-E', 4);
    const order = randomUUID();
    expect(await bus.execute(new ReleaseStock(order))).toMatchObject({ status: 'RELEASED', lines: [] });
    await expect(reserve(order, [{ sku: 'POT-E', quantity: 1 }])).rejects.toMatchObject({
      code: 'INVENTORY.RESERVATION_RELEASED',
    });
    expect(await levels('POT-E')).toEqual({ quantity: 4, reserved: 0 });
  });

  it('should never oversell: 50 concurrent orders for the last 10 units get exactly 10', async () => {
    await stock('POT-LAST', 10);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => reserve(randomUUID(), [{ sku: 'POT-LAST', quantity: 1 }])),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
    const refusals = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refusals.every((o) => o.reason.code === 'INVENTORY.OUT_OF_STOCK')).toBe(true);
    expect(await levels('POT-LAST')).toEqual({ quantity: 10, reserved: 10 });
  });

  it('should publish StockLow when a reservation takes available stock to the reorder point', async () => {
    await stock('POT-LOW', 6, 2);
    await reserve(randomUUID(), [{ sku: 'POT-LOW', quantity: 4 }]);
    const events = await shop.database!.sql<{ payload: { available: number } }>(
      "SELECT payload FROM inventory.outbox WHERE type = 'inventory.StockLow' AND payload->>'sku' = 'POT-LOW'",
    );
    expect(events.map((e) => e.payload.available)).toEqual([2]);
  });

  it('should refuse malformed requests naming each field', async () => {
    await expect(reserve('not-a-uuid', [{ sku: 'POT-A', quantity: 0 }])).rejects.toMatchObject({
      code: 'INVENTORY.INVALID_RESERVATION',
      fields: [
        { field: 'orderId', message: 'must be a UUID' },
        { field: 'lines.0.quantity', message: 'must be a positive whole number' },
      ],
    });
  });
});
