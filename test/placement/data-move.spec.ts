import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeKeysPerOrder, orderBody, placeOrder, sellable, type Sellable } from '../support/checkout-fixture.js';
import { extractData, verificationRows, type ExtractRun } from '../support/extract-data.js';
import { startPlacement, type Placement, type PlacementName } from '../support/placement.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The move of docs/extraction.md ("Moving a module's data"), on a live shop: payments
 * goes to a database of its own while a customer keeps placing orders, and back into
 * the shared database, with payments extracted (its service stops and starts again) and
 * with payments in the monolith (the monolith does). Each move: stop the writers, copy
 * and verify with `extract:data`, point DATABASE_URL_PAYMENTS at the copy (or unset it),
 * start again. Every order placed is confirmed once, charged once, and its payment is in
 * the database payments uses; the database it left gets no write after the move.
 */
const CASES: { placement: PlacementName; writer: string; how: string }[] = [
  { placement: 'payments-inventory', writer: 'payments', how: 'with payments extracted, its service stopped for the move' },
  { placement: 'monolith', writer: 'monolith', how: 'with payments in the monolith, the monolith stopped for the move' },
];

describe.each(CASES)('payments moving to its own database and back, $how', ({ placement, writer }) => {
  let shop: Placement;
  let own: TestDatabase;
  let kettle: Sellable;
  let customer: { token: string; id: string };

  beforeAll(async () => {
    // Orders placed while payments is away wait for it (a long step deadline), as in an outage.
    shop = await startPlacement(placement, { env: { CHECKOUT_STEP_DEADLINE_MS: '120000', CHECKOUT_RETRY_BACKOFF_MS: '50', REMOTE_BREAKER_OPEN_MS: '500' } });
    own = await createTestDatabase({ template: 'template0' });
    kettle = await sellable(shop.http, await shop.adminToken(), { stock: 100_000, price: 1500 });
    customer = await shop.customer('Mover');
  }, 120_000);
  afterAll(async () => {
    await shop?.stop();
    await own?.drop();
  });

  /**
   * A customer placing an order every few tens of milliseconds. Like a real client, it
   * sends a request again, with the same idempotency key, until it is answered: the
   * monolith is down for a moment during the move in the monolith's case.
   */
  function orderStream() {
    const accepted = new Set<string>();
    let running = true;
    const loop = (async () => {
      while (running) {
        const key = randomUUID();
        for (;;) {
          const answer = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]), key).catch(() => undefined);
          if (answer && answer.status >= 200 && answer.status < 300) {
            accepted.add(answer.body.id as string);
            break;
          }
          // Refused for good (anything but the shop being away, or the same request still in hand): the test fails.
          if (answer && ![409, 502, 503].includes(answer.status)) throw new Error(`order refused: ${answer.status} ${JSON.stringify(answer.body)}`);
          await delay(100);
        }
        await delay(30);
      }
    })();
    return {
      accepted,
      /** Resolves once at least `count` more orders than now were accepted. */
      more: (count: number) => {
        const target = accepted.size + count;
        return waitFor(() => accepted.size >= target, { what: `${count} more orders to be accepted`, timeoutMs: 60_000 });
      },
      stop: async () => {
        running = false;
        await loop;
        return [...accepted];
      },
    };
  }

  const confirmedAll = (ids: string[]) =>
    waitFor(
      async () => {
        const rows = await shop.sql<{ id: string; status: string }>('SELECT id, status FROM ordering.orders WHERE id = ANY($1::uuid[])', [ids]);
        return rows.length === ids.length && rows.every((row) => row.status !== 'PENDING') ? rows : undefined;
      },
      { what: `${ids.length} orders to settle`, timeoutMs: 90_000 },
    );

  const paymentsIn = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ order_id: string; status: string }>('SELECT order_id, status FROM payments.payments')).rows;
    } finally {
      await client.end();
    }
  };

  const expectVerified = (run: ExtractRun) => {
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const rows = verificationRows(run.stdout);
    expect(rows.map((row) => row.object)).toEqual(expect.arrayContaining(['payments.payments', 'payments.outbox', 'payments.__migrations']));
    for (const row of rows) {
      expect(row, row.object).toMatchObject({ match: 'yes', targetRows: row.sourceRows, targetChecksum: row.sourceChecksum });
    }
    return rows;
  };

  it('should move payments under a stream of orders, and back, losing no order and charging none twice', async () => {
    const stream = orderStream();
    await stream.more(5);
    await confirmedAll([...stream.accepted]);

    // There: stop the writers, copy and verify, point DATABASE_URL_PAYMENTS at the copy, start again.
    await shop.kill(writer, 'SIGTERM');
    const there = await extractData(['payments', '--to', own.url], { DATABASE_URL: shop.info.databaseUrl });
    const copied = expectVerified(there);
    const movedRows = Number(copied.find((row) => row.object === 'payments.payments')!.sourceRows);
    expect(movedRows).toBeGreaterThanOrEqual(5);
    await shop.restart(writer, { env: { DATABASE_URL_PAYMENTS: own.url } });
    await stream.more(10);

    // Every order so far settles; the new ones' payments are in payments' own database.
    const before = [...stream.accepted];
    expect((await confirmedAll(before)).every((o) => o.status === 'CONFIRMED')).toBe(true);
    const paidThere = (await paymentsIn(own.url)).map((p) => p.order_id);
    expect(paidThere).toEqual(expect.arrayContaining(before));
    expect(paidThere.filter((id) => !stream.accepted.has(id))).toEqual([]);
    // The shared database kept the copy as it was at the move, and got nothing since.
    expect(await paymentsIn(shop.info.databaseUrl)).toHaveLength(movedRows);

    // And back: the shared database holds the stale copy, which is only replaced when asked.
    await shop.kill(writer, 'SIGTERM');
    const refused = await extractData(['payments', '--to', shop.info.databaseUrl, '--from', own.url], {});
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toContain('--replace');
    expect(verificationRows(refused.stdout).find((row) => row.object === 'payments.payments')).toMatchObject({
      match: 'NO',
      targetRows: String(movedRows),
    });
    expect(await paymentsIn(shop.info.databaseUrl)).toHaveLength(movedRows);
    const back = await extractData(['payments', '--to', shop.info.databaseUrl, '--replace'], {
      DATABASE_URL: shop.info.databaseUrl,
      DATABASE_URL_PAYMENTS: own.url,
    });
    const returned = expectVerified(back);
    const rowsAtReturn = Number(returned.find((row) => row.object === 'payments.payments')!.sourceRows);
    await shop.restart(writer, { env: { DATABASE_URL_PAYMENTS: '' } });
    await stream.more(10);
    const all = await stream.stop();

    const outcome = await confirmedAll(all);
    expect(outcome.filter((o) => o.status !== 'CONFIRMED')).toEqual([]);
    const keys = await chargeKeysPerOrder(shop);
    for (const id of all) expect(keys.get(id)?.size ?? 0, `charge keys of ${id}`).toBe(1);
    const payments = await paymentsIn(shop.info.databaseUrl);
    expect(payments.map((p) => p.order_id).sort()).toEqual([...all].sort());
    expect(payments.every((p) => p.status === 'COMPLETED')).toBe(true);
    // The database payments left got nothing after the move back.
    expect(await paymentsIn(own.url)).toHaveLength(rowsAtReturn);
  }, 300_000);
});
