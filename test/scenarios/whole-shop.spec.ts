import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, placeOrder, sellable, settledOrder } from '../support/checkout-fixture.js';
import { sharedPlacement, type Placement } from '../support/placement.js';
import { waitFor } from '../support/wait-for.js';
import { chargesOf, paymentOf, shipmentsOf, stockOf } from './observe.js';

/** Every column but updated_at: what a rebuild must reproduce exactly. */
const SUMMARY_COLUMNS = `order_id, user_id, user_name, product_names, lines, total_amount, currency, status,
  cancellation_reason, placed_at, confirmed_at, cancelled_at`;
const PROJECTED_EVENTS = ['ordering.OrderPlaced', 'ordering.OrderConfirmed', 'ordering.OrderCancelled'];

/** The events whose consumers ask identity or catalog: notifications tells the customer (or the admins), reporting names the order. */
const EVENTS_THAT_ASK: { publisher: string; type: string; consumer: string }[] = [
  ...['ordering.OrderConfirmed', 'ordering.OrderCancelled', 'shipping.ShipmentCreated', 'payments.PaymentFailed', 'inventory.StockLow'].map(
    (type) => ({ publisher: type.split('.')[0]!, type, consumer: 'notifications' }),
  ),
  ...PROJECTED_EVENTS.map((type) => ({ publisher: 'ordering', type, consumer: 'reporting' })),
];

/**
 * Waits until the shop has caught up with what the other files asked of it: every
 * event whose consumers ask identity or catalog has been handled (it is in the
 * consumer's inbox, or among its dead letters). A fault injected before that would also
 * fail those consumers, and leave its traces beyond this file.
 */
async function caughtUp(shop: Placement): Promise<void> {
  const lagging = async () => {
    const behind: string[] = [];
    for (const { publisher, type, consumer } of EVENTS_THAT_ASK) {
      const [row] = await shop.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${publisher}.outbox e WHERE e.type = $1
         AND NOT EXISTS (SELECT 1 FROM ${consumer}.inbox i WHERE i.event_id = e.id)
         AND NOT EXISTS (SELECT 1 FROM ${consumer}.dead_letters d WHERE d.event_id = e.id)`,
        [type],
      );
      if (row!.n > 0) behind.push(`${row!.n} ${type} not yet handled by ${consumer}`);
    }
    return behind;
  };
  let behind: string[] = [];
  await waitFor(async () => (behind = await lagging()).length === 0, {
    what: 'the shop to catch up with every event so far',
    timeoutMs: 30_000,
  }).catch((error: Error) => {
    throw new Error(`${error.message}: ${behind.join('; ')}`);
  });
}

/**
 * Scenarios that act on the whole shop, in every placement: a process killed, two
 * modules' tables made unreadable, the read model rebuilt. They would disturb the other
 * files sharing the project's placement, so this file holds it exclusively: it waits
 * until no other file holds it, and no other file gets it until this one is done.
 */
describe('the whole shop', () => {
  let shop: Placement;
  let admin: string;

  beforeAll(async () => {
    shop = await sharedPlacement({ exclusive: true });
    admin = await shop.adminToken();
  }, 180_000);
  afterAll(async () => {
    await shop?.stop();
  });

  // First in the file: after the kill below, the killed process's unfinished deliveries
  // wait for their queue's stall check before they are taken up again, and catching up
  // would wait for them.
  it('should still answer an order with "Unknown" names and a degraded list when identity and catalog fail', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 3, name: 'Copper kettle' });
    const customer = await shop.customer('Hopper');
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
    await settledOrder(shop.http, customer.token, placed.body.id);
    // The fault is for this read alone: nothing else may be asking identity or catalog meanwhile.
    await caughtUp(shop);
    await shop.sql('ALTER TABLE identity.users RENAME TO users_gone');
    await shop.sql('ALTER TABLE catalog.products RENAME TO products_gone');
    try {
      const answer = await shop.http.get(`/api/v1/orders/${placed.body.id}`, { token: customer.token });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'CONFIRMED', userName: 'Unknown', degraded: ['userName', 'productNames'] });
      expect(answer.body.lines[0].productName).toBe('Unknown');
    } finally {
      await shop.sql('ALTER TABLE identity.users_gone RENAME TO users');
      await shop.sql('ALTER TABLE catalog.products_gone RENAME TO products');
    }
    // Complete again once they answer (a caller's circuit to them, where there is one, may take a moment to close).
    const healthy = await waitFor(
      async () => {
        const answer = await shop.http.get(`/api/v1/orders/${placed.body.id}`, { token: customer.token });
        return answer.body.degraded?.length === 0 ? answer.body : undefined;
      },
      { what: 'the order to be answered complete again' },
    );
    expect(healthy).toMatchObject({ userName: 'Hopper', degraded: [] });
    expect(healthy.lines[0].productName).toBe('Copper kettle');
  }, 60_000);

  it('should finish a checkout whose ordering process is SIGKILLed mid-payment, each step taking effect once', async () => {
    const kettle = await sellable(shop.http, admin, { stock: 9 });
    const customer = await shop.customer('Restart');
    const ordering = shop.hostOf('ordering');
    // While this transaction holds payments' table in SHARE ROW EXCLUSIVE mode, the
    // order's payment claim (the payment step's first write) waits in the database, with
    // the stock already reserved: the saga is stopped in the middle of the payment step.
    const holder = new pg.Client({ connectionString: shop.info.databaseUrl });
    await holder.connect();
    let orderId: string;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE payments.payments IN SHARE ROW EXCLUSIVE MODE');
      const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 3 }]));
      expect(placed.status).toBe(202);
      orderId = placed.body.id as string;
      await waitFor(
        async () =>
          (await shop.sql(
            `SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'payments' AND c.relname = 'payments' AND NOT l.granted`,
          )).length > 0,
        { what: 'the payment claim to wait for the lock' },
      );
      expect(await shop.sql('SELECT state FROM ordering.checkout_sagas WHERE order_id = $1', [orderId])).toEqual([
        { state: 'PROCESSING_PAYMENT' },
      ]);
      expect(await shop.sql('SELECT status FROM inventory.reservations WHERE order_id = $1', [orderId])).toEqual([{ status: 'RESERVED' }]);
      expect((await shop.kill(ordering, 'SIGKILL'))?.signal).toBe('SIGKILL');
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }

    // The same process again (port, keys, database): it takes the saga up from its stored state.
    await shop.restart(ordering);
    const order = await waitFor(
      async () => {
        const answer = await shop.http.get(`/api/v1/orders/${orderId}`, { token: customer.token });
        return answer.body.status === 'CONFIRMED' ? answer.body : undefined;
      },
      { what: 'the resumed checkout to confirm', timeoutMs: 30_000 },
    );
    expect(order.userId).toBe(customer.id);

    // Each step took effect once.
    expect(await shop.sql('SELECT status, lines FROM inventory.reservations WHERE order_id = $1', [orderId])).toEqual([
      { status: 'COMMITTED', lines: [{ sku: kettle.sku, quantity: 3 }] },
    ]);
    expect(await stockOf(shop, kettle.sku)).toEqual({ quantity: 6, reserved: 0 });
    expect(await paymentOf(shop, orderId)).toEqual({ status: 'COMPLETED' });
    expect(await chargesOf(shop, orderId)).toHaveLength(1);
    expect(await shipmentsOf(shop, orderId)).toBe(1);
    expect(await shop.sql("SELECT type FROM ordering.outbox WHERE payload->>'orderId' = $1 ORDER BY seq", [orderId])).toEqual([
      { type: 'ordering.OrderPlaced' },
      { type: 'ordering.OrderConfirmed' },
    ]);
  }, 90_000);

  it("should project orders into reporting, and rebuild exactly those rows from ordering's events", async () => {
    const teapot = await sellable(shop.http, admin, { stock: 5, name: 'Teapot', price: 1250 });
    const customer = await shop.customer('Ada Lovelace');
    const confirmed = await placeOrder(shop.http, customer.token, orderBody([{ item: teapot, quantity: 2 }]));
    const cancelled = await placeOrder(shop.http, customer.token, orderBody([{ item: teapot, quantity: 1 }], { paymentToken: 'tok_declined' }));
    await settledOrder(shop.http, customer.token, confirmed.body.id);
    await settledOrder(shop.http, customer.token, cancelled.body.id);
    const rows = await waitFor(
      async () => {
        const answer = await shop.http.get('/api/v1/reporting/orders?pageSize=100', { token: admin });
        const mine = (answer.body.items as { orderId: string; status: string }[]).filter((row) =>
          [confirmed.body.id, cancelled.body.id].includes(row.orderId),
        );
        return mine.length === 2 && mine.every((row) => row.status !== 'PENDING') ? mine : undefined;
      },
      { what: 'the two reporting rows' },
    );
    expect(rows.find((row) => row.orderId === confirmed.body.id)).toMatchObject({
      userName: 'Ada Lovelace',
      productNames: ['Teapot'],
      status: 'CONFIRMED',
      total: { amount: 2500, currency: 'EUR' },
    });
    expect(rows.find((row) => row.orderId === cancelled.body.id)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });

    // The other files' orders are in the same read model: these two are what is checked.
    const mine = [confirmed.body.id, cancelled.body.id];
    const myRows = () => shop.sql(`SELECT ${SUMMARY_COLUMNS} FROM reporting.order_summaries WHERE order_id = ANY($1::uuid[]) ORDER BY order_id`, [mine]);
    const before = await myRows();
    expect(before).toHaveLength(2);
    const [retained] = await shop.sql<{ n: number }>('SELECT count(*)::int AS n FROM ordering.outbox WHERE type = ANY($1)', [PROJECTED_EVENTS]);
    // A read model gone wrong: a row no event supports, and a damaged one.
    const [ghost] = await shop.sql<{ order_id: string }>(
      `INSERT INTO reporting.order_summaries (order_id, user_id, user_name, total_amount, currency, status)
       VALUES (gen_random_uuid(), gen_random_uuid(), 'Ghost', 1, 'EUR', 'CONFIRMED') RETURNING order_id`,
    );
    await shop.sql("UPDATE reporting.order_summaries SET status = 'PENDING', total_amount = 0 WHERE order_id = $1", [confirmed.body.id]);
    const started = new Date();

    const rebuilt = await shop.http.post('/api/v1/reporting/rebuild', { token: admin });
    expect(rebuilt.status).toBe(202);
    expect(rebuilt.body.retentionDays).toBe(7);
    expect(rebuilt.body.replayed).toBeGreaterThanOrEqual(retained!.n);
    await waitFor(async () => JSON.stringify(await myRows()) === JSON.stringify(before), { what: 'the rebuilt rows', timeoutMs: 30_000 });
    expect(await shop.sql('SELECT 1 FROM reporting.order_summaries WHERE order_id = $1', [ghost!.order_id])).toEqual([]);
    // Every row really was projected again, not left in place.
    expect(
      await shop.sql('SELECT order_id FROM reporting.order_summaries WHERE order_id = ANY($1::uuid[]) AND updated_at < $2', [mine, started]),
    ).toEqual([]);
  }, 60_000);
});
