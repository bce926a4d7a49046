import { randomUUID } from 'node:crypto';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/test-app.js';
import { waitFor } from '../../../test/support/wait-for.js';
import type { IntegrationEventType } from '../../platform/contracts/index.js';
import { Outbox } from '../../platform/events/outbox.js';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  type OrderCancelledPayload,
  type OrderConfirmedPayload,
  type OrderLineView,
  type OrderPlacedPayload,
} from '../ordering/contract.js';

const WIRE_NAMES = [OrderPlaced, OrderConfirmed, OrderCancelled].map((type) => type.wireName);

/** Every column but updated_at: what a rebuild or a redelivery must reproduce exactly. */
const COLUMNS = `order_id, user_id, user_name, product_names, lines, total_amount, currency, status,
  cancellation_reason, placed_at, confirmed_at, cancelled_at`;

describe('reporting', () => {
  let shop: TestApp;
  let admin: string;
  let ada: { id: string; token: string };
  let teapot: string;
  let kettle: string;
  let publisher: pg.Pool;
  let orderingDb: NodePgDatabase;

  beforeAll(async () => {
    shop = await startTestApp();
    publisher = new pg.Pool({ connectionString: shop.database!.url, max: 1 });
    orderingDb = drizzle(publisher);
    admin = await shop.adminToken();
    ada = await shop.customer('Ada Lovelace');
    const product = async (name: string) => {
      const created = await shop.http.post('/api/v1/catalog/products', {
        token: admin,
        body: { name, category: 'kitchen', price: { amount: 1250, currency: 'EUR' } },
      });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    teapot = await product('Teapot');
    kettle = await product('Kettle');
  });
  afterAll(async () => {
    await publisher.end();
    await shop.close();
  });

  /** Plays ordering: the event goes through the real Outbox into ordering.outbox, in its own transaction. */
  const publish = <P>(event: IntegrationEventType<P>, payload: P) =>
    orderingDb.transaction((tx) => new Outbox('ordering').publish(tx, event, payload));

  const line = (productId: string, quantity: number, productName: string): OrderLineView => ({
    productId,
    sku: `SKU-${productId.slice(0, 8)}`,
    quantity,
    unitPrice: { amount: 1250, currency: 'EUR' },
    productName,
  });
  const placed = (orderId: string, placedAt: string, userId = ada.id, currency = 'EUR'): OrderPlacedPayload => ({
    orderId,
    userId,
    lines: [line(teapot, 2, 'Teapot (as ordered)'), line(kettle, 1, 'Kettle (as ordered)')],
    total: { amount: 3750, currency },
    placedAt,
  });
  const confirmed = (orderId: string, confirmedAt: string, userId = ada.id, currency = 'EUR'): OrderConfirmedPayload => ({
    orderId,
    userId,
    total: { amount: 3750, currency },
    shipmentId: randomUUID(),
    trackingNumber: 'TRK-1',
    confirmedAt,
  });
  const cancelled = (orderId: string, cancelledAt: string): OrderCancelledPayload => ({
    orderId,
    userId: ada.id,
    total: { amount: 3750, currency: 'EUR' },
    reason: 'PAYMENT_DECLINED',
    cancelledAt,
  });

  const rowOf = async (orderId: string) =>
    (await shop.database!.sql(`SELECT ${COLUMNS}, updated_at FROM reporting.order_summaries WHERE order_id = $1`, [orderId]))[0];
  const allRows = () => shop.database!.sql(`SELECT ${COLUMNS} FROM reporting.order_summaries ORDER BY order_id`);
  const applied = async (eventId: string) =>
    (await shop.database!.sql('SELECT 1 FROM reporting.inbox WHERE event_id = $1', [eventId])).length > 0;
  /** In-process delivery marks an outbox row published only once every consumer settled it. */
  const allDelivered = async () =>
    (await shop.database!.sql('SELECT 1 FROM ordering.outbox WHERE published_at IS NULL')).length === 0;
  const orders = (query: string, token = admin) => shop.http.get(`/api/v1/reporting/orders?${query}`, { token });

  it("should project a placed order with its customer's name and its products' current names, then its confirmation", async () => {
    const orderId = randomUUID();
    await publish(OrderPlaced, placed(orderId, '2030-01-05T10:00:00.000Z'));
    const pending = await waitFor(async () => (await orders('from=2030-01-05&to=2030-01-05')).body.items[0], {
      what: 'the placed order in the list',
    });
    expect(pending).toMatchObject({
      orderId,
      userId: ada.id,
      userName: 'Ada Lovelace',
      productNames: ['Teapot', 'Kettle'],
      total: { amount: 3750, currency: 'EUR' },
      status: 'PENDING',
      placedAt: '2030-01-05T10:00:00.000Z',
      confirmedAt: null,
      cancellationReason: null,
    });
    expect(pending.lines).toEqual(placed(orderId, '').lines);

    await publish(OrderConfirmed, confirmed(orderId, '2030-01-05T10:05:00.000Z'));
    const done = await waitFor(async () => {
      const item = (await orders('from=2030-01-05&to=2030-01-05')).body.items[0];
      return item?.status === 'CONFIRMED' ? item : undefined;
    }, { what: 'the confirmation' });
    expect(done).toMatchObject({ orderId, confirmedAt: '2030-01-05T10:05:00.000Z', productNames: ['Teapot', 'Kettle'] });
  });

  it('should store "Unknown" for a customer identity does not know, and the ordered name for a product catalog does not know', async () => {
    const orderId = randomUUID();
    const missingProduct = randomUUID();
    await publish(OrderPlaced, {
      ...placed(orderId, '2030-01-06T10:00:00.000Z', randomUUID()),
      lines: [line(teapot, 1, 'Teapot (as ordered)'), line(missingProduct, 1, 'Discontinued mug')],
    });
    const item = await waitFor(async () => (await orders('from=2030-01-06&to=2030-01-06')).body.items[0], {
      what: 'the order with unknown names',
    });
    expect(item).toMatchObject({ orderId, userName: 'Unknown', productNames: ['Teapot', 'Discontinued mug'], status: 'PENDING' });
    expect(shop.logs.some((l) => String(l.msg).includes('identity knows no such user'))).toBe(true);
  });

  it('should filter by status and placing period, newest placed first, in pages', async () => {
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
    await publish(OrderPlaced, placed(first, '2030-02-10T08:00:00.000Z'));
    await publish(OrderPlaced, placed(second, '2030-02-11T08:00:00.000Z'));
    await publish(OrderPlaced, placed(third, '2030-02-12T23:59:59.000Z'));
    await publish(OrderConfirmed, confirmed(second, '2030-02-11T09:00:00.000Z'));
    await publish(OrderCancelled, cancelled(third, '2030-02-13T09:00:00.000Z'));
    await waitFor(allDelivered, { what: 'delivery' });

    const february = await orders('from=2030-02-10&to=2030-02-12');
    expect(february.status).toBe(200);
    expect(february.body).toMatchObject({ page: 1, pageSize: 20, total: 3 });
    expect(february.body.items.map((i: { orderId: string }) => i.orderId)).toEqual([third, second, first]);
    expect(february.body.items.map((i: { status: string }) => i.status)).toEqual(['CANCELLED', 'CONFIRMED', 'PENDING']);

    const confirmedOnly = await orders('status=CONFIRMED&from=2030-02-10&to=2030-02-12');
    expect(confirmedOnly.body.items.map((i: { orderId: string }) => i.orderId)).toEqual([second]);
    expect(confirmedOnly.body.total).toBe(1);

    // A timestamp is an exact bound: `to` is exclusive.
    const exact = await orders('from=2030-02-11T08:00:00Z&to=2030-02-12T23:59:59Z');
    expect(exact.body.items.map((i: { orderId: string }) => i.orderId)).toEqual([second]);

    const secondPage = await orders('from=2030-02-10&to=2030-02-12&page=2&pageSize=2');
    expect(secondPage.body).toMatchObject({ page: 2, pageSize: 2, total: 3 });
    expect(secondPage.body.items.map((i: { orderId: string }) => i.orderId)).toEqual([first]);
  });

  it('should total confirmed orders per UTC day and currency, and nothing else', async () => {
    const ids = Array.from({ length: 6 }, () => randomUUID());
    await publish(OrderPlaced, placed(ids[0]!, '2030-03-01T08:00:00.000Z'));
    await publish(OrderConfirmed, confirmed(ids[0]!, '2030-03-01T09:00:00.000Z'));
    await publish(OrderPlaced, placed(ids[1]!, '2030-03-01T10:00:00.000Z'));
    // 23:30 at UTC-2 is 01:30 UTC the next day.
    await publish(OrderConfirmed, confirmed(ids[1]!, '2030-03-01T23:30:00.000-02:00'));
    await publish(OrderPlaced, placed(ids[2]!, '2030-03-02T10:00:00.000Z', ada.id, 'USD'));
    await publish(OrderConfirmed, confirmed(ids[2]!, '2030-03-02T11:00:00.000Z', ada.id, 'USD'));
    await publish(OrderPlaced, placed(ids[3]!, '2030-03-01T10:00:00.000Z')); // still pending
    await publish(OrderPlaced, placed(ids[4]!, '2030-03-01T10:00:00.000Z'));
    await publish(OrderCancelled, cancelled(ids[4]!, '2030-03-01T11:00:00.000Z'));
    await publish(OrderConfirmed, confirmed(ids[5]!, '2030-03-05T12:00:00.000Z')); // outside the period
    await waitFor(allDelivered, { what: 'delivery' });

    const sales = await shop.http.get('/api/v1/reporting/sales?from=2030-03-01&to=2030-03-04', { token: admin });
    expect(sales.status).toBe(200);
    expect(sales.body).toEqual({
      days: [
        { date: '2030-03-01', currency: 'EUR', orders: 1, revenue: 3750 },
        { date: '2030-03-02', currency: 'EUR', orders: 1, revenue: 3750 },
        { date: '2030-03-02', currency: 'USD', orders: 1, revenue: 3750 },
      ],
    });
  });

  describe('whatever the order of delivery', () => {
    /** A row as the caller of reporting would compare two orders: without its id and refresh time. */
    const shapeOf = async (orderId: string) => {
      const { order_id: _id, updated_at: _at, ...rest } = (await rowOf(orderId))!;
      return rest;
    };

    it('should converge to the same row when OrderConfirmed arrives before OrderPlaced', async () => {
      const [inOrder, reversed] = [randomUUID(), randomUUID()];
      await publish(OrderPlaced, placed(inOrder, '2030-04-01T10:00:00.000Z'));
      await waitFor(async () => (await rowOf(inOrder))?.status === 'PENDING', { what: 'the placed order' });
      await publish(OrderConfirmed, confirmed(inOrder, '2030-04-01T10:05:00.000Z'));

      await publish(OrderConfirmed, confirmed(reversed, '2030-04-01T10:05:00.000Z'));
      // Confirmed alone: a partial row that already counts as a sale.
      const partial = await waitFor(async () => rowOf(reversed), { what: 'the partial row' });
      expect(partial).toMatchObject({ status: 'CONFIRMED', placed_at: null, lines: null, product_names: [], user_name: 'Ada Lovelace' });
      await publish(OrderPlaced, placed(reversed, '2030-04-01T10:00:00.000Z'));
      await waitFor(allDelivered, { what: 'delivery' });

      expect((await rowOf(reversed))!.status).toBe('CONFIRMED'); // never downgraded to PENDING
      expect(await shapeOf(reversed)).toEqual(await shapeOf(inOrder));
    });

    it('should converge to the same row when OrderCancelled arrives before OrderPlaced', async () => {
      const [inOrder, reversed] = [randomUUID(), randomUUID()];
      await publish(OrderPlaced, placed(inOrder, '2030-04-02T10:00:00.000Z'));
      await waitFor(async () => (await rowOf(inOrder))?.status === 'PENDING', { what: 'the placed order' });
      await publish(OrderCancelled, cancelled(inOrder, '2030-04-02T10:05:00.000Z'));

      await publish(OrderCancelled, cancelled(reversed, '2030-04-02T10:05:00.000Z'));
      await waitFor(async () => (await rowOf(reversed))?.status === 'CANCELLED', { what: 'the partial row' });
      await publish(OrderPlaced, placed(reversed, '2030-04-02T10:00:00.000Z'));
      await waitFor(allDelivered, { what: 'delivery' });

      expect(await shapeOf(reversed)).toMatchObject({ status: 'CANCELLED', cancellation_reason: 'PAYMENT_DECLINED' });
      expect(await shapeOf(reversed)).toEqual(await shapeOf(inOrder));
    });
  });

  it('should change nothing when events are delivered again, replayed or republished', async () => {
    const orderId = randomUUID();
    await publish(OrderPlaced, placed(orderId, '2030-05-01T10:00:00.000Z'));
    const again = confirmed(orderId, '2030-05-01T10:05:00.000Z');
    await publish(OrderConfirmed, again);
    await waitFor(allDelivered, { what: 'delivery' });
    const before = await shop.database!.sql(`SELECT ${COLUMNS}, updated_at FROM reporting.order_summaries ORDER BY order_id`);

    // The same events again (same ids): the inbox absorbs them, not even updated_at moves.
    const replay = await shop.http.post('/ops/events/replay', {
      token: admin,
      body: { publisher: 'ordering', subscriber: 'reporting', types: WIRE_NAMES, since: '2000-01-01T00:00:00Z' },
    });
    expect(replay.status).toBe(202);
    expect(replay.body.events).toBeGreaterThanOrEqual(2);
    await waitFor(allDelivered, { what: 'delivery' });
    expect(await shop.database!.sql(`SELECT ${COLUMNS}, updated_at FROM reporting.order_summaries ORDER BY order_id`)).toEqual(before);

    // The same facts under a new event id: applied, yet the row keeps its content.
    const republished = await publish(OrderConfirmed, again);
    await waitFor(() => applied(republished.id), { what: 'the republished event' });
    const { updated_at: _a, ...row } = (await rowOf(orderId))!;
    const { updated_at: _b, ...previous } = before.find((r) => r.order_id === orderId)!;
    expect(row).toEqual(previous);
  });

  it('should rebuild exactly the rows incremental projection made', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await publish(OrderConfirmed, confirmed(a, '2030-06-01T10:05:00.000Z'));
    await publish(OrderPlaced, placed(a, '2030-06-01T10:00:00.000Z'));
    await publish(OrderPlaced, placed(b, '2030-06-01T11:00:00.000Z'));
    await publish(OrderCancelled, cancelled(b, '2030-06-01T11:05:00.000Z'));
    await publish(OrderPlaced, placed(c, '2030-06-01T12:00:00.000Z'));
    await waitFor(allDelivered, { what: 'delivery' });
    const before = await allRows();
    expect(before.length).toBeGreaterThanOrEqual(3);
    const retained = await shop.database!.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM ordering.outbox WHERE type = ANY($1)',
      [WIRE_NAMES],
    );
    // A read model gone wrong: a row no event supports, and a damaged one.
    await shop.database!.sql(
      `INSERT INTO reporting.order_summaries (order_id, user_id, user_name, total_amount, currency, status)
       VALUES ($1, $2, 'Ghost', 1, 'EUR', 'CONFIRMED')`,
      [randomUUID(), randomUUID()],
    );
    await shop.database!.sql("UPDATE reporting.order_summaries SET status = 'PENDING', total_amount = 0 WHERE order_id = $1", [a]);
    const started = new Date();

    const rebuilt = await shop.http.post('/api/v1/reporting/rebuild', { token: admin });
    expect(rebuilt.status).toBe(202);
    expect(rebuilt.body).toEqual({ replayed: retained[0]!.n, retentionDays: 7 });
    await waitFor(async () => (await allRows()).length === before.length && (await allDelivered()), { what: 'the rebuild' });

    expect(await allRows()).toEqual(before);
    // Every row really was projected again, not left in place.
    const stale = await shop.database!.sql('SELECT order_id FROM reporting.order_summaries WHERE updated_at < $1', [started]);
    expect(stale).toEqual([]);
  });

  it('should answer admins only, and name each bad query parameter', async () => {
    for (const [method, path] of [
      ['get', '/api/v1/reporting/orders'],
      ['get', '/api/v1/reporting/sales'],
      ['post', '/api/v1/reporting/rebuild'],
    ] as const) {
      expect((await shop.http[method](path)).status).toBe(401);
      expect((await shop.http[method](path, { token: ada.token })).status).toBe(403);
    }

    const bad = await orders('status=SHIPPED&from=yesterday&pageSize=0&color=red');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['color', 'from', 'pageSize', 'status']);

    const backwards = await orders('from=2030-01-02&to=2030-01-01');
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);

    const badSales = await shop.http.get('/api/v1/reporting/sales?to=31/12/2030', { token: admin });
    expect(badSales.status).toBe(400);
    expect(badSales.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
  });
});
