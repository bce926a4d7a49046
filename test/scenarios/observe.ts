import { afterAll, beforeAll } from 'vitest';
import { sharedPlacement, type LogLine, type Placement } from '../support/placement.js';

/**
 * What the scenarios observe of a shop, whatever its placement: stored state through
 * SQL on its database, and what its processes logged. Nothing here reaches into a
 * process: the same reads work with every module in one process or each in its own.
 */

export async function stockOf(shop: Placement, sku: string) {
  return (await shop.sql<{ quantity: number; reserved: number }>('SELECT quantity, reserved FROM inventory.stock_items WHERE sku = $1', [sku]))[0];
}

export async function shipmentsOf(shop: Placement, orderId: string): Promise<number> {
  return (await shop.sql<{ n: number }>('SELECT count(*)::int AS n FROM shipping.shipments WHERE order_id = $1', [orderId]))[0]!.n;
}

export async function paymentOf(shop: Placement, orderId: string) {
  return (await shop.sql<{ status: string }>('SELECT status FROM payments.payments WHERE order_id = $1', [orderId]))[0];
}

/** What every process hosting payments logged (two while it is handed over), every start of each. */
async function paymentsLogs(shop: Placement): Promise<LogLine[]> {
  return (await Promise.all(shop.hostsOf('payments').map((host) => shop.logsNow(host)))).flat();
}

/**
 * The charges the simulated payment provider made for an order, as the processes
 * hosting payments logged them: one `simulated charge made` line per new charge, whose
 * statement text names the order.
 */
export async function chargesOf(shop: Placement, orderId: string): Promise<LogLine[]> {
  return (await paymentsLogs(shop)).filter((line) => line.msg === 'simulated charge made' && String(line.description).includes(orderId));
}

/** The refunds the simulated provider made of a charge (`simulated refund made` lines). */
export async function refundsOf(shop: Placement, chargeId: unknown): Promise<LogLine[]> {
  return (await paymentsLogs(shop)).filter((line) => line.msg === 'simulated refund made' && line.chargeId === chargeId);
}

/**
 * A scenario file's hold on its project's placement (booted on first use, shared by
 * every file of the project) and the admin's token: `take` receives them before the
 * file's tests run; the file lets go of the placement after its last test.
 */
export function useSharedPlacement(take: (shop: Placement, admin: string) => void): void {
  let held: Placement | undefined;
  beforeAll(async () => {
    held = await sharedPlacement();
    take(held, await held.adminToken());
  }, 180_000);
  afterAll(async () => {
    await held?.stop();
  });
}
