import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeKeysPerOrder, orderBody, placeOrder, sellable, type Sellable } from '../support/checkout-fixture.js';
import { startPlacement, type Placement } from '../support/placement.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Payments extracted and killed in the middle of a stream of orders: the monolith's
 * circuit to payments opens after its threshold and then fails calls fast; sagas
 * either wait and retry until payments is back (a long step deadline) or give up and
 * cancel cleanly (a short one); after payments returns, new orders confirm; no order
 * stays PENDING and none is charged twice.
 */
describe('payments extracted, and killed mid-stream', () => {
  let shop: Placement;
  let admin: string;
  let kettle: Sellable;
  let customer: { token: string; id: string };

  beforeAll(async () => {
    shop = await startPlacement('payments-inventory', {
      env: {
        REMOTE_BREAKER_FAILURES: '3',
        REMOTE_BREAKER_OPEN_MS: '500',
        REMOTE_CALL_TIMEOUT_MS: '1000',
        CHECKOUT_RETRY_BACKOFF_MS: '50',
        // Orders wait for payments to come back (phase one); the second phase shortens it.
        CHECKOUT_STEP_DEADLINE_MS: '120000',
      },
    });
    admin = await shop.adminToken();
    kettle = await sellable(shop.http, admin, { stock: 1000, price: 1200 });
    customer = await shop.customer('Stream');
  }, 120_000);
  afterAll(async () => {
    await shop?.stop();
  });

  const statuses = async (ids: string[]) =>
    shop.sql<{ id: string; status: string; cancellation_reason: string | null }>(
      'SELECT id, status, cancellation_reason FROM ordering.orders WHERE id = ANY($1::uuid[])',
      [ids],
    );
  const settled = (ids: string[], timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const rows = await statuses(ids);
        return rows.length === ids.length && rows.every((row) => row.status === 'CONFIRMED' || row.status === 'CANCELLED') ? rows : undefined;
      },
      { what: `${ids.length} orders to settle`, timeoutMs },
    );
  const circuit = async () => (await shop.http.get('/health/ready')).body?.services?.payments?.circuit as string | undefined;
  const place = async () => {
    const answer = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
    expect(answer.status).toBe(202);
    return answer.body.id as string;
  };
  const paymentsOf = (ids: string[]) =>
    shop.sql<{ order_id: string; status: string }>('SELECT order_id, status FROM payments.payments WHERE order_id = ANY($1::uuid[])', [ids]);

  it('should open the circuit, fail fast, let waiting orders confirm once payments is back, and charge each once', async () => {
    const before = [await place(), await place()];
    expect((await settled(before)).map((o) => o.status)).toEqual(['CONFIRMED', 'CONFIRMED']);

    // The stream goes on while payments dies.
    const stream: Promise<string>[] = [];
    for (let i = 0; i < 3; i++) stream.push(place());
    await shop.kill('payments', 'SIGKILL');
    for (let i = 0; i < 5; i++) stream.push(place());
    const during = await Promise.all(stream);

    await waitFor(async () => (await circuit()) === 'open', { what: 'the circuit to payments to open', timeoutMs: 20_000 });
    expect((await shop.logsNow('monolith')).some((line) => line.msg?.startsWith('circuit to payments opened'))).toBe(true);
    // While it is open, the sagas' calls fail fast: their last error is the open circuit, not a timeout.
    await waitFor(
      async () =>
        (await shop.sql("SELECT 1 FROM ordering.checkout_sagas WHERE order_id = ANY($1::uuid[]) AND last_error LIKE 'PLATFORM.CIRCUIT_OPEN%'", [during]))
          .length > 0,
      { what: 'a saga to meet the open circuit' },
    );
    // Nobody is cancelled meanwhile: the step deadline is long, so they wait.
    expect((await statuses(during)).filter((o) => o.status === 'CANCELLED')).toEqual([]);

    await shop.restart('payments');
    const outcome = await settled(during);
    const confirmedDuring = outcome.filter((o) => o.status === 'CONFIRMED').map((o) => o.id);
    // An order whose payment was in flight at the kill may have been charged without the
    // answer arriving: the retry settles the same charge (same idempotency key), so it confirms too.
    expect(confirmedDuring.sort()).toEqual([...during].sort());
    await waitFor(async () => (await circuit()) === 'closed', { what: 'the circuit to close' });

    const after = [await place(), await place()];
    expect((await settled(after)).map((o) => o.status)).toEqual(['CONFIRMED', 'CONFIRMED']);

    const all = [...before, ...during, ...after];
    const keys = await chargeKeysPerOrder(shop);
    for (const id of all) expect(keys.get(id)?.size ?? 0, `charge keys of ${id}`).toBeLessThanOrEqual(1);
    // Every order confirmed has exactly one payment, completed.
    const payments = await paymentsOf(all);
    expect(payments.map((p) => p.order_id).sort()).toEqual([...all].sort());
    expect(payments.every((p) => p.status === 'COMPLETED')).toBe(true);
    const stock = await shop.sql<{ reserved: number }>('SELECT reserved FROM inventory.stock_items WHERE sku = $1', [kettle.sku]);
    expect(stock[0]!.reserved).toBe(0);
  }, 120_000);

  it('should give up past the step deadline and cancel cleanly once payments can void: stock released, nothing charged', async () => {
    await shop.restart('monolith', { env: { CHECKOUT_STEP_DEADLINE_MS: '2000', CHECKOUT_COMPENSATION_ATTEMPTS: '100' } });
    await shop.kill('payments', 'SIGKILL');
    const orders = [await place(), await place(), await place()];
    // Past the deadline each saga stops asking for the charge and starts undoing; undoing
    // the payment step needs payments (a refund, or a void so a late charge cannot land).
    await waitFor(
      async () =>
        (await shop.sql("SELECT 1 FROM ordering.checkout_sagas WHERE order_id = ANY($1::uuid[]) AND state = 'COMPENSATING'", [orders])).length ===
        orders.length,
      { what: 'the sagas to give up and compensate', timeoutMs: 30_000 },
    );
    await shop.restart('payments');
    const outcome = await settled(orders, 45_000);
    expect(outcome.map((o) => [o.status, o.cancellation_reason])).toEqual(orders.map(() => ['CANCELLED', 'STEP_TIMED_OUT']));
    const stock = await shop.sql<{ reserved: number }>('SELECT reserved FROM inventory.stock_items WHERE sku = $1', [kettle.sku]);
    expect(stock[0]!.reserved).toBe(0);
    const keys = await chargeKeysPerOrder(shop);
    for (const id of orders) expect(keys.get(id)?.size ?? 0).toBe(0);
    const payments = await paymentsOf(orders);
    expect(payments.every((p) => p.status === 'VOIDED')).toBe(true);

    const fresh = await place();
    expect((await settled([fresh]))[0]!.status).toBe('CONFIRMED');
  }, 120_000);
});
