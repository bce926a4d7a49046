import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { HttpClient } from './http-client.js';
import type { Placement } from './placement.js';
import { waitFor } from './wait-for.js';

export interface Sellable {
  productId: string;
  sku: string;
  price: number;
}

export const ADDRESS = { name: 'Ada Lovelace', line1: '1 Analytical St', city: 'Berlin', postalCode: '10115', country: 'DE' };

/**
 * Puts a product on sale the way an admin does: in catalog, in stock (inventory) and
 * shippable (shipping), all through the HTTP API.
 */
export async function sellable(
  http: HttpClient,
  admin: string,
  options: { name?: string; price?: number; stock: number; hazardous?: boolean },
): Promise<Sellable> {
  const price = options.price ?? 1500;
  const product = await http.post('/api/v1/catalog/products', {
    token: admin,
    body: { name: options.name ?? `Kettle ${randomUUID().slice(0, 6)}`, category: 'kitchen', price: { amount: price, currency: 'EUR' } },
  });
  expect(product.status).toBe(201);
  const sku = `SKU-${randomUUID().slice(0, 8)}`;
  const stock = await http.put(`/api/v1/inventory/${sku}`, {
    token: admin,
    body: { productId: product.body.id, quantity: options.stock, location: 'A-1' },
  });
  expect(stock.status).toBe(201);
  const item = await http.put(`/api/v1/shipping/items/${product.body.id}`, {
    token: admin,
    body: { weightGrams: 800, lengthMm: 200, widthMm: 150, heightMm: 250, hazardous: options.hazardous ?? false },
  });
  expect(item.status).toBe(201);
  return { productId: product.body.id, sku, price };
}

export function orderBody(lines: { item: Sellable; quantity: number }[], overrides: Record<string, unknown> = {}) {
  return {
    lines: lines.map(({ item, quantity }) => ({ productId: item.productId, sku: item.sku, quantity })),
    shippingAddress: ADDRESS,
    paymentToken: 'tok_visa',
    ...overrides,
  };
}

export async function placeOrder(http: HttpClient, token: string, body: object, key = randomUUID()) {
  return http.post('/api/v1/orders', { token, body, headers: { 'idempotency-key': key } });
}

/** Waits until the order reaches one of `statuses` (as its customer reads it) and returns it. */
export async function settledOrder(http: HttpClient, token: string, orderId: string, statuses = ['CONFIRMED', 'CANCELLED']) {
  return waitFor(
    async () => {
      const answer = await http.get(`/api/v1/orders/${orderId}`, { token });
      return statuses.includes(answer.body.status) ? answer.body : undefined;
    },
    { what: `order ${orderId} to become ${statuses.join(' or ')}`, timeoutMs: 30_000 },
  );
}

/**
 * The provider idempotency keys each order was charged with, as every process hosting
 * payments logged its simulator's charges (every run of each). Charging twice means two
 * keys: a repeat with the same key is the same charge at a real provider (the simulator's
 * memory does not survive its process being killed, so it may log that key again).
 */
export async function chargeKeysPerOrder(shop: Placement): Promise<Map<string, Set<string>>> {
  const keys = new Map<string, Set<string>>();
  for (const host of shop.hostsOf('payments')) {
    for (const line of await shop.logsNow(host)) {
      if (line.msg !== 'simulated charge made') continue;
      const orderId = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(String(line.description))?.[0];
      if (orderId) keys.set(orderId, (keys.get(orderId) ?? new Set()).add(String(line.idempotencyKey)));
    }
  }
  return keys;
}
