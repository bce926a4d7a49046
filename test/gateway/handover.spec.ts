import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, placeOrder, sellable, settledOrder, type Sellable } from '../support/checkout-fixture.js';
import { startPlacement, type LogLine, type Placement } from '../support/placement.js';
import { waitFor } from '../support/wait-for.js';

interface RouteReport {
  name: string;
  mode: string;
  weight: { weight: number; source: string; reason?: string };
  shadow?: { compared: number; matched: number; mismatched: number; skipped: number; errors: number; samples: unknown[] };
}

/**
 * The strangler migration of a real module: payments handed over (HANDOVER_MODULES),
 * so the monolith still hosts it while its service serves the same schema beside it,
 * and the gateway moves its traffic between the two. Every read a client makes is
 * answered by a process that really hosts payments, whichever side, mode or failure:
 * shadow compares two real answers, a split serves real answers on both sides, and a
 * fallback or a rollback lands on a monolith that still serves payments.
 */
describe('payments handed over, behind the gateway', () => {
  let shop: Placement;
  let admin: string;
  let kettle: Sellable;
  const orders: string[] = [];

  beforeAll(async () => {
    shop = await startPlacement('payments-handover', { gateway: true });
    admin = await shop.adminToken();
    kettle = await sellable(shop.http, admin, { stock: 1_000, price: 1_200 });
  }, 120_000);
  afterAll(async () => {
    await shop?.stop();
  });

  const adminApi = async (method: string, path: string, body?: unknown) => {
    const answer = await fetch(`${shop.info.gateway!.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${shop.info.gateway!.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(answer.status, `${method} ${path}`).toBe(200);
    return (await answer.json()) as { routes?: RouteReport[] } & RouteReport;
  };
  const paymentsRoute = async () => (await adminApi('GET', '/routes/payments')) as RouteReport;

  type AccessLine = { url: string; route: string; side: string; status: number; requestId: string; fellBack?: boolean };

  /**
   * The gateway's access lines of these answers, once every one has reached its log file
   * (each is logged when its exchange closes, then travels through a pipe).
   */
  const accessLinesOf = (answers: { headers: Headers }[]) => {
    const ids = new Set(answers.map((answer) => answer.headers.get('x-request-id')));
    return waitFor(
      () => {
        const lines = readFileSync(shop.info.gateway!.logFile, 'utf8')
          .split('\n')
          .filter((line) => line.includes('"request completed"'))
          .map((line) => JSON.parse(line) as AccessLine)
          .filter((line) => ids.has(line.requestId));
        return lines.length === ids.size ? lines : undefined;
      },
      { what: `the gateway's access lines of ${ids.size} requests` },
    );
  };

  /** Places and settles `count` orders, each by a customer of its own; answers their ids. */
  const confirmedOrders = async (count: number) => {
    const placed = await Promise.all(
      Array.from({ length: count }, async () => {
        const customer = await shop.customer();
        const answer = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
        expect(answer.status).toBe(202);
        const order = await settledOrder(shop.http, customer.token, answer.body.id as string);
        expect(order.status).toBe('CONFIRMED');
        return order.id as string;
      }),
    );
    orders.push(...placed);
    return placed;
  };

  const readPayment = (orderId: string, headers: Record<string, string> = {}) =>
    shop.http.get(`/api/v1/payments/orders/${orderId}`, { token: admin, headers: { 'x-request-id': `handover-${randomUUID()}`, ...headers } });

  it("in shadow mode, answers every read from the monolith, and finds the service's answers the same", async () => {
    await adminApi('PUT', '/routes/payments/mode', { mode: 'shadow' });
    const ids = await confirmedOrders(8);
    const reads = [...ids, ...ids, randomUUID(), randomUUID()];
    const answers = [];
    for (const id of reads) answers.push({ id, answer: await readPayment(id) });
    for (const { id, answer } of answers) {
      if (ids.includes(id)) expect(answer.body).toMatchObject({ orderId: id, status: 'COMPLETED' });
      else expect(answer.status).toBe(404);
    }

    const shadow = await waitFor(
      async () => {
        const stats = (await paymentsRoute()).shadow!;
        return stats.compared + stats.skipped + stats.errors >= reads.length ? stats : undefined;
      },
      { what: 'the shadow comparisons of every read' },
    );
    // The service reads the same rows as the monolith: no differences, no noise to learn.
    expect(shadow).toMatchObject({ compared: reads.length, matched: reads.length, mismatched: 0, skipped: 0, errors: 0, samples: [] });
    const served = await accessLinesOf(answers.map(({ answer }) => answer));
    expect(served.every((line) => line.route === 'payments' && line.side === 'monolith')).toBe(true);
  });

  it('at a partial weight, serves the same payment from either side, and keeps a user on one', async () => {
    await adminApi('PUT', '/routes/payments/mode', { mode: 'split' });
    await adminApi('PUT', '/routes/payments/weight', { weight: 50 });
    const [id] = await confirmedOrders(1);

    const fromMonolith = await readPayment(id!, { 'x-strangler-target': 'monolith' });
    const fromService = await readPayment(id!, { 'x-strangler-target': 'extracted' });
    expect(fromMonolith.status).toBe(200);
    expect(fromService.body).toEqual(fromMonolith.body);

    const sticky = [];
    for (let i = 0; i < 10; i++) sticky.push(await readPayment(id!));
    expect(sticky.every((answer) => answer.status === 200)).toBe(true);
    expect(new Set((await accessLinesOf(sticky)).map((line) => line.side)).size).toBe(1);
    expect((await accessLinesOf([fromMonolith])).map((line) => line.side)).toEqual(['monolith']);
    expect((await accessLinesOf([fromService])).map((line) => line.side)).toEqual(['extracted']);
  });

  it('with the service killed at weight 100, answers every read through the monolith, rolls back, and goes on charging each order once', async () => {
    await adminApi('PUT', '/routes/payments/weight', { weight: 100 });
    const ids = await confirmedOrders(4);
    const served = [];
    for (let i = 0; i < 10; i++) served.push(await readPayment(ids[i % ids.length]!));
    expect(served.every((answer) => answer.status === 200)).toBe(true);

    expect((await shop.kill('payments', 'SIGKILL'))?.signal).toBe('SIGKILL');
    // Reads go on while the service is down, and orders are still charged (by the monolith).
    const during = [...(await confirmedOrders(2))];
    const answers = [];
    for (let i = 0; i < 60; i++) {
      const id = [...ids, ...during][i % (ids.length + during.length)]!;
      answers.push({ id, answer: await readPayment(id) });
    }
    for (const { id, answer } of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ orderId: id, status: 'COMPLETED' });
    }
    // The first reads after the kill were sent to the service, and fell back to the monolith.
    const lines = await accessLinesOf(answers.map(({ answer }) => answer));
    expect(lines.filter((line) => line.fellBack).length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.fellBack).every((line) => line.side === 'monolith')).toBe(true);
    const route = await waitFor(
      async () => {
        const report = await paymentsRoute();
        return report.weight.source === 'rollback' ? report : undefined;
      },
      { what: 'the rollback of the payments route' },
    );
    expect(route.weight).toMatchObject({ weight: 0, source: 'rollback' });
    expect(route.weight.reason).toMatch(/5xx|error/i);

    // Every order of this file, before and after the kill, was charged once. The charges
    // are the checkout saga's, made in-process by the monolith (which hosts ordering): the
    // gateway moves payments' public reads, not ordering's calls. The killed service's
    // output counts too (read to its end when it exited), and holds none.
    const logged: LogLine[] = [...(await shop.logsNow('monolith')), ...shop.logs('payments')];
    const charges = logged.filter((line) => line.msg === 'simulated charge made');
    for (const orderId of orders) {
      expect(charges.filter((line) => String(line.description).includes(orderId)), `charges of order ${orderId}`).toHaveLength(1);
    }
    const rows = await shop.sql<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM payments.payments WHERE order_id = ANY($1::uuid[]) GROUP BY status',
      [orders],
    );
    expect(rows).toEqual([{ status: 'COMPLETED', n: orders.length }]);
  });
});
