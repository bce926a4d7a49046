import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../../test/support/test-app.js';
import { ContractBus } from '../../../platform/dispatch/contract-bus.js';
import { requestContext } from '../../../platform/logging/request-context.js';
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

  /**
   * ReserveStock and CommitStock under concurrency: the calls that arrive together are
   * group-committed in one transaction, and each caller must still get what it would
   * have got had the calls run one after the other.
   */
  describe('under concurrency (group commit)', () => {
    const rows = (orderIds: string[]) =>
      shop.database!.sql<{ order_id: string; status: string; lines: StockLine[]; created_at: Date; tx: string }>(
        'SELECT order_id, status, lines, created_at, xmin::text AS tx FROM inventory.reservations WHERE order_id = ANY($1::uuid[])',
        [orderIds],
      );
    /** Each call runs in its own request context, as each saga step does. */
    const inContext = <T>(correlationId: string, work: () => Promise<T>) =>
      requestContext.run({ requestId: correlationId, correlationId, causationId: correlationId, traceparent: null }, work);
    const reserve = (orderId: string, lines: StockLine[], correlationId: string = randomUUID()) =>
      inContext(correlationId, () => bus.execute(new ReserveStock(orderId, lines)));
    const settle = <T>(calls: Promise<T>[]) => Promise.allSettled(calls);
    const refusal = (outcome: PromiseSettledResult<unknown> | undefined) =>
      outcome?.status === 'rejected' ? (outcome.reason as { code: string; fields?: unknown }) : undefined;
    /** How many transactions last wrote these rows (PostgreSQL's xmin): fewer than calls means calls were grouped. */
    const transactionsOf = async (orderIds: string[]) => new Set((await rows(orderIds)).map((r) => r.tx)).size;

    it('should never oversell across a batch: 20 concurrent orders for 15 units get exactly 15, the rest refused alone', async () => {
      await stock('KET-15', 15);
      const orders = Array.from({ length: 20 }, () => randomUUID());
      const outcomes = await settle(orders.map((order) => reserve(order, [{ sku: 'KET-15', quantity: 1 }])));

      const reserved = orders.filter((_, i) => outcomes[i]!.status === 'fulfilled');
      expect(reserved).toHaveLength(15);
      for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
        expect(refusal(outcome)).toMatchObject({
          code: 'INVENTORY.OUT_OF_STOCK',
          fields: [{ field: 'lines.0.quantity', message: 'only 0 available' }],
        });
      }
      expect(await levels('KET-15')).toEqual({ quantity: 15, reserved: 15 });
      // Refused orders leave no row; reserved ones one row each.
      const stored = await rows(orders);
      expect(stored.map((r) => r.order_id).sort()).toEqual([...reserved].sort());
      expect(stored.every((r) => r.status === 'RESERVED')).toBe(true);
      expect(await transactionsOf(reserved)).toBeLessThan(reserved.length);
    });

    it('should refuse only the order that is short, naming its line, and reserve all lines of the others', async () => {
      await stock('KET-SHARED', 100);
      const own = Array.from({ length: 20 }, (_, i) => `KET-OWN-${i}`);
      for (const sku of own) await stock(sku, 2);
      const orders = own.map(() => randomUUID());
      const short = 13;
      const outcomes = await settle(
        orders.map((order, i) =>
          reserve(order, [
            { sku: 'KET-SHARED', quantity: 3 },
            { sku: own[i]!, quantity: i === short ? 5 : 2 },
          ]),
        ),
      );

      outcomes.forEach((outcome, i) => {
        if (i === short) {
          expect(refusal(outcome)).toMatchObject({
            code: 'INVENTORY.OUT_OF_STOCK',
            fields: [{ field: 'lines.1.quantity', message: 'only 2 available' }],
          });
        } else {
          expect(outcome).toMatchObject({
            status: 'fulfilled',
            // Stored one line per SKU, in SKU order.
            value: { orderId: orders[i], status: 'RESERVED', lines: [{ sku: own[i], quantity: 2 }, { sku: 'KET-SHARED', quantity: 3 }] },
          });
        }
      });
      // The refused order took nothing, not even from the SKU it could have had.
      expect(await levels('KET-SHARED')).toEqual({ quantity: 100, reserved: 19 * 3 });
      expect(await levels(own[short]!)).toEqual({ quantity: 2, reserved: 0 });
      for (const [i, sku] of own.entries()) if (i !== short) expect(await levels(sku)).toEqual({ quantity: 2, reserved: 2 });
      expect(await rows([orders[short]!])).toHaveLength(0);
    });

    it('should write a repeated order once in a batch and answer every repeat from it', async () => {
      await stock('KET-DUP', 50);
      const first = randomUUID();
      await reserve(first, [{ sku: 'KET-DUP', quantity: 1 }]);
      const repeated = randomUUID();
      const others = Array.from({ length: 8 }, () => randomUUID());
      const outcomes = await settle([
        // Made in one turn of the event loop, these calls go together in one batch.
        reserve(others[0]!, [{ sku: 'KET-DUP', quantity: 1 }]),
        ...Array.from({ length: 6 }, (_, i) =>
          reserve(i % 2 ? repeated.toUpperCase() : repeated, [
            { sku: 'KET-DUP', quantity: 2 },
            { sku: 'KET-DUP', quantity: 2 },
          ]),
        ),
        ...others.slice(1).map((order) => reserve(order, [{ sku: 'KET-DUP', quantity: 1 }])),
        reserve(first, [{ sku: 'KET-DUP', quantity: 9 }]),
      ]);

      expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);
      const answers = outcomes.map((o) => (o as PromiseFulfilledResult<{ orderId: string; lines: StockLine[]; updatedAt: string }>).value);
      const repeats = answers.slice(1, 7);
      expect(repeats[0]).toMatchObject({ orderId: repeated, status: 'RESERVED', lines: [{ sku: 'KET-DUP', quantity: 4 }] });
      expect(repeats.every((answer) => JSON.stringify(answer) === JSON.stringify(repeats[0]))).toBe(true);
      // The earlier order's repeat answers its first reservation, whatever it asks now.
      expect(answers.at(-1)).toMatchObject({ orderId: first, lines: [{ sku: 'KET-DUP', quantity: 1 }] });
      expect(await levels('KET-DUP')).toEqual({ quantity: 50, reserved: 1 + 4 + others.length });
      expect(await rows([repeated])).toHaveLength(1);
      expect(await transactionsOf([repeated, ...others])).toBeLessThan(1 + others.length);
    });

    it('should let a later repeat reserve when an earlier call of the same order in the batch was short', async () => {
      await stock('KET-RETRY', 3);
      const busy = randomUUID();
      const order = randomUUID();
      const [, tooMany, fits, again] = await settle([
        reserve(busy, [{ sku: 'KET-RETRY', quantity: 1 }]),
        reserve(order, [{ sku: 'KET-RETRY', quantity: 5 }]),
        reserve(order, [{ sku: 'KET-RETRY', quantity: 2 }]),
        reserve(order, [{ sku: 'KET-RETRY', quantity: 1 }]),
      ]);
      expect(refusal(tooMany)).toMatchObject({ code: 'INVENTORY.OUT_OF_STOCK', fields: [{ message: 'only 2 available' }] });
      expect(fits).toMatchObject({ status: 'fulfilled', value: { orderId: order, lines: [{ sku: 'KET-RETRY', quantity: 2 }] } });
      expect(again).toMatchObject({ status: 'fulfilled', value: { orderId: order, lines: [{ sku: 'KET-RETRY', quantity: 2 }] } });
      expect(await levels('KET-RETRY')).toEqual({ quantity: 3, reserved: 3 });
      expect(await rows([order])).toMatchObject([{ status: 'RESERVED', lines: [{ sku: 'KET-RETRY', quantity: 2 }] }]);
    });

    it("should publish each StockLow once, with the context of the caller whose reservation crossed the reorder point", async () => {
      await stock('KET-LOW-SHARED', 30, 10);
      const own = Array.from({ length: 20 }, (_, i) => `KET-LOW-${i}`);
      for (const sku of own) await stock(sku, 5, 2);
      const orders = own.map(() => randomUUID());
      const lines = (i: number) => [
        { sku: own[i]!, quantity: 3 },
        { sku: 'KET-LOW-SHARED', quantity: 1 },
      ];
      const outcomes = await settle([
        ...orders.map((order, i) => reserve(order, lines(i), `low-${i}`)),
        // Repeats take nothing, so they announce nothing.
        ...orders.map((order, i) => reserve(order, lines(i), `repeat-${i}`)),
      ]);
      expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);

      const events = await shop.database!.sql<{ payload: { sku: string; available: number }; correlation_id: string }>(
        "SELECT payload, correlation_id FROM inventory.outbox WHERE type = 'inventory.StockLow' AND payload->>'sku' LIKE 'KET-LOW-%'",
      );
      for (const [i, sku] of own.entries()) {
        const mine = events.filter((e) => e.payload.sku === sku);
        expect(mine).toEqual([{ payload: expect.objectContaining({ available: 2, reorderPoint: 2 }), correlation_id: `low-${i}` }]);
      }
      // Thirty units, one per order: only the twentieth reservation takes it to ten.
      const shared = events.filter((e) => e.payload.sku === 'KET-LOW-SHARED');
      expect(shared).toHaveLength(1);
      expect(shared[0]).toMatchObject({ payload: { available: 10, reorderPoint: 10 }, correlation_id: expect.stringMatching(/^low-/) });
    });

    it('should not reserve for an order released before it, even inside a batch', async () => {
      await stock('KET-TOMB', 10);
      const released = randomUUID();
      await bus.execute(new ReleaseStock(released));
      const others = Array.from({ length: 6 }, () => randomUUID());
      const outcomes = await settle([
        ...others.slice(0, 3).map((order) => reserve(order, [{ sku: 'KET-TOMB', quantity: 1 }])),
        reserve(released, [{ sku: 'KET-TOMB', quantity: 1 }]),
        reserve(released, [{ sku: 'KET-TOMB', quantity: 1 }]),
        ...others.slice(3).map((order) => reserve(order, [{ sku: 'KET-TOMB', quantity: 1 }])),
      ]);
      expect(refusal(outcomes[3])).toMatchObject({ code: 'INVENTORY.RESERVATION_RELEASED' });
      expect(refusal(outcomes[4])).toMatchObject({ code: 'INVENTORY.RESERVATION_RELEASED' });
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(others.length);
      expect(await levels('KET-TOMB')).toEqual({ quantity: 10, reserved: others.length });
      expect(await rows([released])).toMatchObject([{ status: 'RELEASED', lines: [] }]);
    });

    it('should keep released units released when releases race a batch of reservations', async () => {
      await stock('KET-RACE', 40);
      const orders = Array.from({ length: 20 }, () => randomUUID());
      const racing = orders.filter((_, i) => i % 4 === 0);
      const outcomes = await settle([
        ...orders.map((order) => reserve(order, [{ sku: 'KET-RACE', quantity: 2 }])),
        ...racing.map((order) => bus.execute(new ReleaseStock(order))),
      ]);
      expect(outcomes.slice(orders.length).every((o) => o.status === 'fulfilled')).toBe(true);
      // Whichever came first, a racing order ends released and holds nothing.
      for (const [i, order] of orders.entries()) {
        const outcome = outcomes[i]!;
        if (racing.includes(order)) {
          if (outcome.status === 'rejected') expect(refusal(outcome)).toMatchObject({ code: 'INVENTORY.RESERVATION_RELEASED' });
        } else expect(outcome.status).toBe('fulfilled');
      }
      expect((await rows(racing)).every((r) => r.status === 'RELEASED')).toBe(true);
      expect(await levels('KET-RACE')).toEqual({ quantity: 40, reserved: 2 * (orders.length - racing.length) });
    });

    it('should commit a batch: units leave once per order, repeats answer the commit, unknown and released orders are not found', async () => {
      await stock('KET-SOLD', 50);
      const orders = Array.from({ length: 20 }, () => randomUUID());
      await Promise.all(orders.map((order) => reserve(order, [{ sku: 'KET-SOLD', quantity: 2 }])));
      const [released, ...sold] = orders;
      await bus.execute(new ReleaseStock(released!));
      const unknown = randomUUID();
      const commit = (orderId: string) => inContext(randomUUID(), () => bus.execute(new CommitStock(orderId)));

      const outcomes = await settle([
        ...sold.map(commit),
        commit(released!),
        commit(unknown),
        ...sold.map((order) => commit(order.toUpperCase())),
      ]);

      const firsts = outcomes.slice(0, sold.length);
      const repeats = outcomes.slice(sold.length + 2);
      firsts.forEach((outcome, i) => {
        expect(outcome).toMatchObject({
          status: 'fulfilled',
          value: { orderId: sold[i], status: 'COMMITTED', lines: [{ sku: 'KET-SOLD', quantity: 2 }] },
        });
        expect(repeats[i]).toEqual(outcome);
      });
      expect(refusal(outcomes[sold.length])).toMatchObject({ code: 'INVENTORY.RESERVATION_NOT_FOUND' });
      expect(refusal(outcomes[sold.length + 1])).toMatchObject({ code: 'INVENTORY.RESERVATION_NOT_FOUND' });
      expect(await levels('KET-SOLD')).toEqual({ quantity: 50 - 2 * sold.length, reserved: 0 });
      expect((await rows(sold)).every((r) => r.status === 'COMMITTED')).toBe(true);
      // A commit after the batch is still idempotent.
      expect(await bus.execute(new CommitStock(sold[0]!))).toEqual((firsts[0] as PromiseFulfilledResult<unknown>).value);
      expect(await levels('KET-SOLD')).toEqual({ quantity: 50 - 2 * sold.length, reserved: 0 });
    });
  });
});
