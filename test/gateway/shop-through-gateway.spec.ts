import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, placeOrder, sellable } from '../support/checkout-fixture.js';
import { startPlacement, type Placement } from '../support/placement.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The real shop behind the gateway: the monolith, payments and inventory as services of
 * their own, and the gateway routing those two modules by name (the prefixes come from
 * the monolith's routing manifest). A customer's whole checkout goes through the front
 * door, and each request lands on the process that hosts its module.
 */
describe('the shop behind the gateway, payments and inventory extracted', () => {
  let shop: Placement;

  beforeAll(async () => {
    shop = await startPlacement('payments-inventory', { gateway: true });
  }, 120_000);
  afterAll(async () => {
    await shop?.stop();
  });

  const gatewayLines = () =>
    readFileSync(shop.info.gateway!.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"request completed"'))
      .map((line) => JSON.parse(line) as { url: string; route: string; side: string; status: number });

  it("should route each module's public paths to the process that hosts it, from the monolith's manifest", async () => {
    const manifest = (await fetch(`${shop.info.processes.find((p) => p.name === 'monolith')!.url}/.well-known/routing-manifest`).then((r) => r.json())) as { modules: Record<string, string[]> };
    expect(manifest.modules.payments).toContain('/api/v1/payments');
    expect(manifest.modules.ordering).toContain('/api/v1/orders');

    const admin = await shop.adminToken();
    const kettle = await sellable(shop.http, admin, { stock: 3 });
    const customer = await shop.customer();
    const placed = await placeOrder(shop.http, customer.token, orderBody([{ item: kettle, quantity: 1 }]));
    await waitFor(async () => (await shop.http.get(`/api/v1/orders/${placed.body.id}`, { token: customer.token })).body.status === 'CONFIRMED', {
      what: 'the order to be confirmed',
    });
    const payment = await shop.http.get(`/api/v1/payments/orders/${placed.body.id}`, { token: admin });
    expect(payment.status).toBe(200);
    expect(payment.body).toMatchObject({ orderId: placed.body.id });

    const lines = await waitFor(() => {
      const seen = gatewayLines();
      return seen.some((line) => line.route === 'payments') ? seen : undefined;
    }, { what: "the gateway's access line of a payments request" });
    // Inventory's and payments' routes went to their services; ordering's and identity's stayed with the monolith.
    expect(lines.filter((line) => line.url.startsWith('/api/v1/payments')).every((line) => line.route === 'payments' && line.side === 'extracted')).toBe(true);
    expect(lines.filter((line) => line.url.startsWith('/api/v1/inventory')).every((line) => line.route === 'inventory' && line.side === 'extracted')).toBe(true);
    expect(lines.filter((line) => line.url.startsWith('/api/v1/orders')).every((line) => line.route === 'monolith' && line.side === 'monolith')).toBe(true);
    expect(lines.some((line) => line.url.startsWith('/api/v1/inventory'))).toBe(true);
    expect(lines.every((line) => line.status < 500)).toBe(true);

    // The services' RPC endpoint is not reachable through the front door.
    expect((await shop.http.post('/internal/rpc/payments.GetPayment', { body: { orderId: placed.body.id } })).status).toBe(404);
  });
});
