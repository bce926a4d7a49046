/**
 * Checkout end to end: POST /api/v1/orders → checkout saga (ReserveStock →
 * ProcessPayment → CreateShipment → CommitStock) → CONFIRMED, at a fixed number of
 * orders in flight (BENCH_CHECKOUT_CONCURRENCY, default 32), against the real
 * monolith (`node dist/main.js`, in-process delivery, the simulated payment provider
 * with no latency).
 *
 * Each of the in-flight lanes places an order (its own customer, a new
 * Idempotency-Key, one or two of BENCH_CHECKOUT_PRODUCTS products) and waits for it to
 * be CONFIRMED before placing the next. Completion is seen in the database by one
 * poller for all lanes (not by each lane polling the API), and the order's own
 * confirmation time (`ordering.orders.updated_at`, same machine clock) ends its
 * checkout latency, which starts when the POST is sent.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { freshDatabase, rolePrefixOf } from '../support/database.mjs';
import { keepAliveAgent, mapLimit, postJson, requestJson } from '../support/http.mjs';
import { BENCH_ADMIN, startMonolith } from '../support/monolith.mjs';
import { cpuSecondsOf } from '../support/process-cpu.mjs';
import { percentileOfSorted } from '../support/stats.mjs';
import { fmt } from '../support/table.mjs';

const TARGET_ORDERS_PER_SECOND = 300;
const TARGET_P99_MS = 250;

async function seed(baseUrl, { products, customers }) {
  const admin = (await requestJson('POST', `${baseUrl}/api/v1/identity/login`, { body: BENCH_ADMIN, expect: 200 })).json.accessToken;
  const items = await mapLimit(Array.from({ length: products }, (_, i) => i), 8, async (i) => {
    const product = await requestJson('POST', `${baseUrl}/api/v1/catalog/products`, {
      token: admin,
      body: { name: `Bench kettle ${i}`, category: 'kitchen', price: { amount: 1000 + i, currency: 'EUR' } },
      expect: 201,
    });
    const sku = `BENCH-${i}`;
    await requestJson('PUT', `${baseUrl}/api/v1/inventory/${sku}`, {
      token: admin,
      body: { productId: product.json.id, quantity: 1_000_000, location: 'A-1' },
      expect: 201,
    });
    await requestJson('PUT', `${baseUrl}/api/v1/shipping/items/${product.json.id}`, {
      token: admin,
      body: { weightGrams: 900, lengthMm: 200, widthMm: 200, heightMm: 250, hazardous: false },
      expect: 201,
    });
    return { productId: product.json.id, sku };
  });
  const tokens = await mapLimit(Array.from({ length: customers }, (_, i) => i), 2, async (i) => {
    const email = `bench-customer-${i}-${randomUUID().slice(0, 6)}@bench.local`;
    await requestJson('POST', `${baseUrl}/api/v1/identity/register`, {
      body: { email, password: 'bench-password-123', name: `Customer ${i}` },
      expect: 201,
    });
    return (await requestJson('POST', `${baseUrl}/api/v1/identity/login`, { body: { email, password: 'bench-password-123' }, expect: 200 }))
      .json.accessToken;
  });
  return { items, tokens };
}

/** Watches the database for orders that reached a final status; one query for all lanes. */
function confirmationWatcher(client) {
  const waiting = new Map();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      if (waiting.size) {
        const { rows } = await client.query(
          `SELECT id, status, extract(epoch FROM updated_at) * 1000 AS at FROM ordering.orders
            WHERE id = ANY($1::uuid[]) AND status IN ('CONFIRMED', 'CANCELLED')`,
          [[...waiting.keys()]],
        );
        for (const row of rows) {
          waiting.get(row.id)?.({ status: row.status, at: Number(row.at) });
          waiting.delete(row.id);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    settled: (orderId) => new Promise((resolve) => waiting.set(orderId, resolve)),
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function runLanes({ baseUrl, items, tokens, concurrency, seconds, watcher }) {
  const agent = keepAliveAgent(concurrency);
  const results = [];
  const errors = [];
  const until = Date.now() + seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, lane) => {
        const token = tokens[lane % tokens.length];
        let n = 0;
        while (Date.now() < until) {
          const first = items[(lane * 7 + n) % items.length];
          const second = items[(lane * 13 + n * 3 + 1) % items.length];
          n++;
          const lines = [{ productId: first.productId, sku: first.sku, quantity: 1 }];
          if (n % 2 === 0 && second.sku !== first.sku) lines.push({ productId: second.productId, sku: second.sku, quantity: 2 });
          const sentAt = performance.timeOrigin + performance.now();
          const res = await postJson(
            agent,
            `${baseUrl}/api/v1/orders`,
            { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
            {
              lines,
              shippingAddress: { name: 'Bench', line1: '1 Bench St', city: 'Berlin', postalCode: '10115', country: 'DE' },
              paymentToken: 'tok_visa',
            },
          );
          const answeredAt = performance.timeOrigin + performance.now();
          const body = res.json ?? {};
          if (res.status !== 202) {
            errors.push(`${res.status} ${body.code ?? ''}`);
            continue;
          }
          const outcome = await watcher.settled(body.id);
          results.push({ status: outcome.status, postMs: answeredAt - sentAt, checkoutMs: outcome.at - sentAt, confirmedAt: outcome.at });
        }
      }),
    );
  } finally {
    agent.destroy(); // idle keep-alive sockets would keep the bench process alive
  }
  return { results, errors };
}

export default {
  name: 'checkout',
  title: 'POST /api/v1/orders → checkout saga → CONFIRMED',
  description:
    'confirmed orders/s with a fixed number of orders in flight, and checkout latency from POST to CONFIRMED ' +
    '(reserve stock, take payment, create shipment, commit stock; simulated provider, in-process events)',
  columns: [
    { header: 'in flight', value: (r) => r.concurrency, format: fmt.int },
    { header: 'orders', value: (r) => r.orders, format: fmt.int },
    { header: 'confirmed/s', value: (r) => r.confirmedPerSecond, format: fmt.int },
    { header: 'POST p50 ms', value: (r) => r.postP50Ms, format: fmt.ms },
    { header: 'checkout p50 ms', value: (r) => r.p50Ms, format: fmt.ms },
    { header: 'checkout p99 ms', value: (r) => r.p99Ms, format: fmt.ms },
    { header: 'server CPU', value: (r) => r.serverCpuPct, format: (v) => `${Math.round(v)}%` },
    { header: 'not confirmed', value: (r) => r.notConfirmed, format: fmt.int },
  ],
  summary(result) {
    return [
      `confirmed/s >= ${TARGET_ORDERS_PER_SECOND} and checkout p99 < ${TARGET_P99_MS} ms: ${result.pass ? 'PASS' : 'FAIL'}`,
      ...(result.warnings ?? []).map((w) => `WARNING ${w}`),
    ];
  },
  async run({ config, workDir, progress }) {
    const concurrency = Number(process.env.BENCH_CHECKOUT_CONCURRENCY ?? 32);
    const products = Number(process.env.BENCH_CHECKOUT_PRODUCTS ?? 50);
    const databaseUrl = await freshDatabase(config.postgresUrl, 'shop_bench_checkout');
    const { child, baseUrl } = await startMonolith({
      databaseUrl,
      rolePrefix: rolePrefixOf('shop_bench_checkout'),
      workDir,
      nodeArgs: config.monolithNodeArgs,
      env: process.env.BENCH_DB_POOL_SIZE ? { DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE } : {},
    });
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const watcher = confirmationWatcher(client);
    try {
      progress(`seeding ${products} products and ${Math.min(concurrency, 32)} customers`);
      const { items, tokens } = await seed(baseUrl, { products, customers: Math.min(concurrency, 32) });
      if (config.warmupSeconds > 0) {
        progress(`warm-up ${config.warmupSeconds}s`);
        await runLanes({ baseUrl, items, tokens, concurrency, seconds: config.warmupSeconds, watcher });
      }
      progress(`${concurrency} orders in flight for ${config.durationSeconds}s`);
      const cpuBefore = cpuSecondsOf(child.pid);
      const started = performance.timeOrigin + performance.now();
      const { results, errors } = await runLanes({ baseUrl, items, tokens, concurrency, seconds: config.durationSeconds, watcher });
      const ended = performance.timeOrigin + performance.now();
      const cpuAfter = cpuSecondsOf(child.pid);
      const confirmed = results.filter((r) => r.status === 'CONFIRMED');
      const latencies = confirmed.map((r) => r.checkoutMs).sort((a, b) => a - b);
      const posts = results.map((r) => r.postMs).sort((a, b) => a - b);
      const seconds = (ended - started) / 1000;
      const row = {
        target: 'monolith',
        concurrency,
        orders: results.length,
        confirmedPerSecond: confirmed.length / seconds,
        postP50Ms: percentileOfSorted(posts, 50),
        p50Ms: percentileOfSorted(latencies, 50),
        p99Ms: percentileOfSorted(latencies, 99),
        serverCpuPct: cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) / seconds) * 100 : NaN,
        notConfirmed: results.length - confirmed.length + errors.length,
      };
      progress(`${Math.round(row.confirmedPerSecond)} confirmed/s, p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms`);
      const warnings = [];
      if (row.notConfirmed) warnings.push(`${row.notConfirmed} orders did not confirm: ${[...new Set(errors)].slice(0, 5).join(', ')}`);
      const pass = row.notConfirmed === 0 && row.confirmedPerSecond >= TARGET_ORDERS_PER_SECOND && row.p99Ms < TARGET_P99_MS;
      return { rows: [row], pass, warnings, targets: { ordersPerSecond: TARGET_ORDERS_PER_SECOND, p99Ms: TARGET_P99_MS } };
    } finally {
      await watcher.stop();
      await client.end();
      await child.stop();
    }
  },
};
