/**
 * Checkout end to end: POST /api/v1/orders → checkout saga (ReserveStock →
 * ProcessPayment → CreateShipment → CommitStock) → CONFIRMED, at a fixed number of
 * orders in flight (BENCH_CHECKOUT_CONCURRENCY, default 32), against the real shop
 * (the simulated payment provider with no latency), in several placements in one run
 * (PLACEMENTS below; BENCH_CHECKOUT_PLACEMENTS picks some):
 *  - every module in `node dist/main.js`, in-process event delivery (the monolith as it
 *    runs by default, and what issue 4's absolute target is about);
 *  - the same with REDIS_URL set (events through BullMQ, as every extracted placement needs);
 *  - payments and inventory extracted: the monolith plus `node dist/extracted/payments/main.js`
 *    and `node dist/extracted/inventory/main.js`, REDIS_URL set, calls over HTTP.
 * Each placement runs once per round (BENCH_ROUNDS), in alternating order, all on one
 * database seeded once; the table shows medians over the rounds.
 *
 * Each of the in-flight lanes places an order (its own customer, a new
 * Idempotency-Key, one or two of BENCH_CHECKOUT_PRODUCTS products) and waits for it to
 * be CONFIRMED before placing the next. Completion is seen in the database by one
 * poller for all lanes (not by each lane polling the API), and the order's own
 * confirmation time (`ordering.orders.updated_at`, same machine clock) ends its
 * checkout latency, which starts when the POST is sent.
 *
 * Where the difference between placements goes: CPU seconds per 1,000 confirmed orders of
 * each process (the shop's, this database's PostgreSQL backends, redis-server, the load
 * generator), the internal RPC calls per order (counted from the access-log line each
 * process writes per request, `/internal/rpc/<wire name>`), and, when contract-call ran
 * earlier in the same bench, its per-call serialization and remote-call costs.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { dropDatabase, freshDatabase, rolePrefixOf } from '../support/database.mjs';
import { keepAliveAgent, mapLimit, postJson, requestJson } from '../support/http.mjs';
import { BENCH_ADMIN, logProblems, REPO_ROOT } from '../support/monolith.mjs';
import { accessLogLines, benchQueuePrefix, DEFAULT_REDIS_URL, forgetQueues, startPlacement } from '../support/placement.mjs';
import { cpuSecondsBetween, cpuSecondsOf, cpuSecondsOfAll, machineBusySeconds, pidsNamed } from '../support/process-cpu.mjs';
import { median, percentileOfSorted } from '../support/stats.mjs';
import { fmt, renderTable } from '../support/table.mjs';

const TARGET_ORDERS_PER_SECOND = 300;
const TARGET_P99_MS = 250;

async function seed(shop, { products, customers }) {
  const url = (route) => shop.urlFor(route);
  const admin = (await requestJson('POST', url('/api/v1/identity/login'), { body: BENCH_ADMIN, expect: 200 })).json.accessToken;
  const items = await mapLimit(Array.from({ length: products }, (_, i) => i), 8, async (i) => {
    const product = await requestJson('POST', url('/api/v1/catalog/products'), {
      token: admin,
      body: { name: `Bench kettle ${i}`, category: 'kitchen', price: { amount: 1000 + i, currency: 'EUR' } },
      expect: 201,
    });
    const sku = `BENCH-${i}`;
    await requestJson('PUT', url(`/api/v1/inventory/${sku}`), {
      token: admin,
      body: { productId: product.json.id, quantity: 1_000_000, location: 'A-1' },
      expect: 201,
    });
    await requestJson('PUT', url(`/api/v1/shipping/items/${product.json.id}`), {
      token: admin,
      body: { weightGrams: 900, lengthMm: 200, widthMm: 200, heightMm: 250, hazardous: false },
      expect: 201,
    });
    return { productId: product.json.id, sku };
  });
  const tokens = await mapLimit(Array.from({ length: customers }, (_, i) => i), 2, async (i) => {
    const email = `bench-customer-${i}-${randomUUID().slice(0, 6)}@bench.local`;
    await requestJson('POST', url('/api/v1/identity/register'), {
      body: { email, password: 'bench-password-123', name: `Customer ${i}` },
      expect: 201,
    });
    return (await requestJson('POST', url('/api/v1/identity/login'), { body: { email, password: 'bench-password-123' }, expect: 200 }))
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

/**
 * The placements compared, in one run. `in-process` is the monolith as it runs today
 * (and as issue 4's target was set): in-process event delivery, no Redis. The
 * extracted placement needs REDIS_URL (its events cross processes through BullMQ),
 * so `in-process-redis` is the same single process with REDIS_URL set: the ratio
 * against it is what splitting the process alone costs.
 */
const PLACEMENTS = {
  'in-process': { label: 'all in one process', events: 'in process', extracted: [], redis: false },
  'in-process-redis': { label: 'all in one process', events: 'BullMQ', extracted: [], redis: true },
  extracted: { label: 'payments + inventory extracted', events: 'BullMQ', extracted: ['payments', 'inventory'], redis: true },
};
const TARGET_EXTRACTED_SHARE = 0.4;
const DATABASE = 'shop_bench_checkout';
const RPC_PREFIX = '/internal/rpc/';

/** BENCH_CHECKOUT_ENV="REMOTE_CONNECTIONS=32,EVENTS_WORKER_CONCURRENCY=16": settings for every shop process, for experiments. */
function extraShopEnv() {
  const raw = process.env.BENCH_CHECKOUT_ENV;
  if (!raw) return {};
  return Object.fromEntries(
    raw.split(',').filter(Boolean).map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`BENCH_CHECKOUT_ENV: expected NAME=value pairs separated by commas, got ${JSON.stringify(pair)}`);
      return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    }),
  );
}

function selectedPlacements() {
  const raw = process.env.BENCH_CHECKOUT_PLACEMENTS;
  if (!raw) return Object.keys(PLACEMENTS);
  const names = raw.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !PLACEMENTS[n]);
  if (unknown.length) throw new Error(`BENCH_CHECKOUT_PLACEMENTS: unknown placement(s) ${unknown.join(', ')} (known: ${Object.keys(PLACEMENTS).join(', ')})`);
  return Object.keys(PLACEMENTS).filter((n) => names.includes(n));
}

/** Pids of this database's PostgreSQL backends, but the asking connection's own. */
async function backendPids(client) {
  const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  return rows.map((r) => r.pid);
}

/** CPU seconds so far of every process that takes part, for the difference over the measured window. */
async function cpuSnapshot(shop, client) {
  const self = process.cpuUsage();
  return {
    machine: machineBusySeconds(),
    processes: new Map(shop.processes.map((p) => [p.name, cpuSecondsOf(p.child.pid)])),
    postgres: cpuSecondsOfAll(await backendPids(client)),
    redis: cpuSecondsOfAll(pidsNamed('redis-server')),
    loadGenerator: (self.user + self.system) / 1e6,
  };
}

function cpuUsed(before, after) {
  const used = {};
  for (const [name, seconds] of after.processes) used[name] = seconds - before.processes.get(name);
  used.postgres = cpuSecondsBetween(before.postgres, after.postgres);
  used.redis = cpuSecondsBetween(before.redis, after.redis);
  used.loadGenerator = after.loadGenerator - before.loadGenerator;
  // Everything else the machine did meanwhile (other shops' tests, builds): the noise.
  const ours = Object.values(used).reduce((a, b) => a + b, 0);
  used.otherWork = after.machine !== undefined && before.machine !== undefined ? Math.max(0, after.machine - before.machine - ours) : NaN;
  return used;
}

/** The internal RPC calls each process answered in the window, from its access log. */
function rpcCallsOf(shop, from, to) {
  const byWireName = {};
  const byProcess = {};
  const calleeMs = {};
  const requests = {};
  for (const p of shop.processes) {
    for (const line of accessLogLines(p.logFile, from, to)) {
      if (!line.url?.startsWith(RPC_PREFIX)) continue;
      // A batch (`…/<wire name>/batch`) logs one line with the number of calls it carried.
      const wireName = line.url.slice(RPC_PREFIX.length).replace(/\/batch$/, '');
      const calls = Number(line.calls) || 1;
      byWireName[wireName] = (byWireName[wireName] ?? 0) + calls;
      byProcess[p.name] = (byProcess[p.name] ?? 0) + calls;
      requests[wireName] = (requests[wireName] ?? 0) + 1;
      // Each call of a batch waited for the whole batch: the batch's time counts for each.
      calleeMs[wireName] = (calleeMs[wireName] ?? 0) + calls * (Number(line.durationMs) || 0);
    }
  }
  return { byWireName, byProcess, calleeMs, requests };
}

/**
 * One placement, once: start its processes on the scenario's database, seed it if this is
 * the first run (later runs reuse the products and customers: every placement is given
 * the same JWT keys, so the customers' tokens stay valid), warm up, measure, stop.
 */
const COUNT_QUERIES = path.join(REPO_ROOT, 'bench/support/count-queries.cjs');

/** Whether the shop's processes count their statements (bench/support/count-queries.cjs); BENCH_CHECKOUT_COUNT_STATEMENTS=0 turns it off. */
const countingStatements = () => process.env.BENCH_CHECKOUT_COUNT_STATEMENTS !== '0';

/**
 * The statements each process has sent so far, by kind: count-queries.cjs writes them
 * when signalled (SIGUSR2). Undefined for a process that did not answer within 3 s.
 */
async function statementCounts(shop, countsFile) {
  const read = (file) => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
  };
  return Object.fromEntries(
    await Promise.all(
      shop.processes.map(async (p) => {
        const file = `${countsFile.replace('%p', String(p.child.pid))}.json`;
        const before = read(file)?.seq ?? 0;
        try {
          process.kill(p.child.pid, 'SIGUSR2');
        } catch {
          return [p.name, undefined];
        }
        const deadline = Date.now() + 3_000;
        while (Date.now() < deadline) {
          const now = read(file);
          if (now && now.seq > before) return [p.name, now.counts];
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return [p.name, undefined];
      }),
    ),
  );
}

/** Statements and commits per process between two statementCounts snapshots. */
function statementsBetween(before, after) {
  const byProcess = {};
  for (const [name, counts] of Object.entries(after)) {
    const earlier = before[name];
    if (!counts || !earlier) continue;
    let statements = 0;
    let commits = 0;
    const byKind = {};
    for (const [key, n] of Object.entries(counts)) {
      const d = n - (earlier[key] ?? 0);
      if (d <= 0) continue;
      statements += d;
      if (key.toLowerCase() === 'commit') commits += d;
      byKind[key] = d;
    }
    byProcess[name] = { statements, commits, byKind };
  }
  return byProcess;
}

async function runPlacement({ key, round, config, workDir, progress, concurrency, products, redisUrl, databaseUrl, shared, seeded }) {
  const placement = PLACEMENTS[key];
  const countsFile = path.join(workDir, `statements-${key}-r${round}-%p.txt`);
  if (countingStatements()) shared = { ...shared, BENCH_QUERY_COUNTS: countsFile };
  const queuePrefix = placement.redis ? benchQueuePrefix('checkout') : undefined;
  progress(`${key} (round ${round}): starting ${['monolith', ...placement.extracted].join(' + ')}`);
  const bootStarted = Date.now();
  const shop = await startPlacement({
    databaseUrl,
    rolePrefix: rolePrefixOf(DATABASE),
    workDir,
    extracted: placement.extracted,
    redisUrl: placement.redis ? redisUrl : undefined,
    queuePrefix,
    env: shared,
    monolithNodeArgs: [...(countingStatements() ? ['--require', COUNT_QUERIES] : []), ...config.monolithNodeArgs],
    serviceNodeArgs: [...(countingStatements() ? ['--require', COUNT_QUERIES] : []), ...config.serviceNodeArgs],
    logSuffix: `-${key}-r${round}`,
  }).catch(async (error) => {
    await forgetQueues(redisUrl, queuePrefix);
    throw error;
  });
  const baseUrl = shop.monolith.baseUrl;
  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  progress(`${key}: ready after ${((t0 - bootStarted) / 1000).toFixed(1)}s`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const watcher = confirmationWatcher(client);
  try {
    if (!seeded.items) {
      progress(`${key}: seeding ${products} products and ${Math.min(concurrency, 32)} customers`);
      Object.assign(seeded, await seed(shop, { products, customers: Math.min(concurrency, 32) }));
      progress(`${key}: seeded in ${since()}`);
    }
    const { items, tokens } = seeded;
    if (config.warmupSeconds > 0) {
      progress(`${key}: warm-up ${config.warmupSeconds}s`);
      await runLanes({ baseUrl, items, tokens, concurrency, seconds: config.warmupSeconds, watcher });
    }
    progress(`${key}: ${concurrency} orders in flight for ${config.durationSeconds}s`);
    const statementsBefore = countingStatements() ? await statementCounts(shop, countsFile) : undefined;
    const cpuBefore = await cpuSnapshot(shop, client);
    const started = performance.timeOrigin + performance.now();
    const { results, errors } = await runLanes({ baseUrl, items, tokens, concurrency, seconds: config.durationSeconds, watcher });
    const ended = performance.timeOrigin + performance.now();
    const cpu = cpuUsed(cpuBefore, await cpuSnapshot(shop, client));
    const statements = statementsBefore ? statementsBetween(statementsBefore, await statementCounts(shop, countsFile)) : {};
    const confirmed = results.filter((r) => r.status === 'CONFIRMED');
    const latencies = confirmed.map((r) => r.checkoutMs).sort((a, b) => a - b);
    const posts = results.map((r) => r.postMs).sort((a, b) => a - b);
    const seconds = (ended - started) / 1000;
    const shopCpu = shop.processes.reduce((sum, p) => sum + cpu[p.name], 0);
    const otherWorkPct = (cpu.otherWork / seconds) * 100;
    delete cpu.otherWork;
    // The stopped processes' logs are complete; the window is the measured one.
    await watcher.stop();
    const exits = await shop.stop();
    const rpc = rpcCallsOf(shop, started, ended);
    const run = {
      confirmed: confirmed.length,
      orders: results.length,
      confirmedPerSecond: confirmed.length / seconds,
      postP50Ms: percentileOfSorted(posts, 50),
      p50Ms: percentileOfSorted(latencies, 50),
      p99Ms: percentileOfSorted(latencies, 99),
      serverCpuPct: (shopCpu / seconds) * 100,
      otherWorkPct,
      cpuSecondsPer1000: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, confirmed.length ? (v / confirmed.length) * 1000 : NaN])),
      rpcPerOrder: confirmed.length ? Object.values(rpc.byWireName).reduce((a, b) => a + b, 0) / confirmed.length : 0,
      rpc,
      statements,
      statementsPerOrder: sumOf(statements, 'statements') / confirmed.length,
      commitsPerOrder: sumOf(statements, 'commits') / confirmed.length,
      notConfirmed: results.length - confirmed.length + errors.length,
      errorSamples: [...new Set(errors)].slice(0, 5),
      logProblems: Object.fromEntries(shop.processes.map((p) => [p.name, logProblems(p.logFile, 3)])),
      unclean: exits.filter((e) => e.exit.code !== 0 || e.exit.signal).map((e) => `${e.name} (${e.exit.code ?? e.exit.signal})`),
    };
    progress(
      `${key}: ${Math.round(run.confirmedPerSecond)} confirmed/s, p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, ` +
        `${run.rpcPerOrder.toFixed(2)} RPC calls per order`,
    );
    return run;
  } finally {
    await watcher.stop();
    await client.end();
    await shop.stop();
    await forgetQueues(redisUrl, queuePrefix);
  }
}

/** The sum of one figure over the processes that reported it; NaN if none did. */
function sumOf(byProcess, field) {
  const values = Object.values(byProcess).map((p) => p[field]);
  return values.length ? values.reduce((a, b) => a + b, 0) : NaN;
}

const CPU_PARTS = [
  { key: 'monolith', header: 'monolith' },
  { key: 'payments', header: 'payments svc' },
  { key: 'inventory', header: 'inventory svc' },
  { key: 'postgres', header: 'postgres (this DB)' },
  { key: 'redis', header: 'redis-server (shared)' },
  { key: 'loadGenerator', header: 'load generator' },
];

const cpuTotal = (row) => CPU_PARTS.reduce((sum, part) => sum + (row.cpuSecondsPer1000[part.key] ?? 0), 0);

export default {
  name: 'checkout',
  title: 'POST /api/v1/orders → checkout saga → CONFIRMED, in one process and with payments + inventory extracted',
  description:
    'confirmed orders/s with a fixed number of orders in flight, and checkout latency from POST to CONFIRMED ' +
    '(reserve stock, take payment, create shipment, commit stock; simulated provider), with every module in one process ' +
    '(in-process events, and with REDIS_URL: BullMQ events) and with payments and inventory as their own services',
  columns: [
    { header: 'placement', value: (r) => r.label, align: 'left' },
    { header: 'events', value: (r) => r.events, align: 'left' },
    { header: 'in flight', value: (r) => r.concurrency, format: fmt.int },
    { header: 'orders', value: (r) => r.orders, format: fmt.int },
    { header: 'confirmed/s', value: (r) => r.confirmedPerSecond, format: fmt.int },
    { header: 'POST p50 ms', value: (r) => r.postP50Ms, format: fmt.ms },
    { header: 'checkout p50 ms', value: (r) => r.p50Ms, format: fmt.ms },
    { header: 'checkout p99 ms', value: (r) => r.p99Ms, format: fmt.ms },
    { header: 'shop CPU', value: (r) => r.serverCpuPct, format: (v) => `${Math.round(v)}%` },
    { header: 'RPC/order', value: (r) => r.rpcPerOrder, format: (v) => v.toFixed(2) },
    { header: 'SQL/order', value: (r) => r.statementsPerOrder, format: (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a') },
    { header: 'commits/order', value: (r) => r.commitsPerOrder, format: (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a') },
    { header: 'other work', value: (r) => r.otherWorkPct, format: (v) => (Number.isFinite(v) ? `${Math.round(v)}%` : 'n/a') },
    { header: 'not confirmed', value: (r) => r.notConfirmed, format: fmt.int },
  ],
  summary(result) {
    const lines = [];
    const row = (key) => result.rows.find((r) => r.placement === key);
    const inProcess = row('in-process');
    const redis = row('in-process-redis');
    const extracted = row('extracted');
    if (inProcess) {
      lines.push(
        `all in one process: confirmed/s >= ${TARGET_ORDERS_PER_SECOND} and checkout p99 < ${TARGET_P99_MS} ms (issue 4): ` +
          `${result.inProcessPass ? 'PASS' : 'FAIL'}`,
      );
    }
    if (extracted && inProcess) {
      lines.push(
        `payments + inventory extracted / all in one process (in-process events, the monolith's default): ` +
          `${fmt.pct(result.ratio)} of confirmed/s   target >= ${fmt.pct(TARGET_EXTRACTED_SHARE)}: ${result.placementPass ? 'PASS' : 'FAIL'}` +
          (redis ? `\npayments + inventory extracted / all in one process with REDIS_URL (the same BullMQ events): ${fmt.pct(result.ratioSameEvents)} (informational: the process split alone)` : ''),
      );
    } else if (extracted && redis) {
      lines.push(`payments + inventory extracted / all in one process with REDIS_URL: ${fmt.pct(result.ratioSameEvents)} (the in-process placement did not run)`);
    }
    lines.push(
      `CPU seconds per 1,000 confirmed orders, by process (during the measured seconds; postgres: this database's backends; ` +
        `redis-server: the whole shared server):\n${renderTable(
          [
            { header: 'placement', value: (r) => `${r.label}, ${r.events} events`, align: 'left' },
            ...CPU_PARTS.map((part) => ({ header: part.header, value: (r) => r.cpuSecondsPer1000[part.key], format: (v) => (Number.isFinite(v) ? v.toFixed(2) : '') })),
            { header: 'total', value: cpuTotal, format: (v) => v.toFixed(2) },
          ],
          result.rows,
        )}`,
    );
    if (result.rows.some((r) => Number.isFinite(r.statementsPerOrder))) {
      lines.push(
        `PostgreSQL statements per confirmed order (counted in each process by bench/support/count-queries.cjs; group commit ` +
          `batches concurrent orders' writes, so fewer is better):\n${result.rows
            .map(
              (r) =>
                `  ${`${r.label}, ${r.events} events:`.padEnd(48)} ${r.statementsPerOrder.toFixed(1)} statements, ${r.commitsPerOrder.toFixed(2)} commits` +
                (Object.keys(r.statementsPerOrderByProcess).length > 1
                  ? ` (${Object.entries(r.statementsPerOrderByProcess)
                      .map(([name, n]) => `${name} ${n.toFixed(1)}`)
                      .join(', ')})`
                  : ''),
            )
            .join('\n')}`,
      );
    }
    for (const r of result.rows.filter((x) => x.rpcPerOrder > 0)) {
      const calls = Object.entries(r.rpcPerOrderByWireName)
        .sort((a, b) => b[1] - a[1])
        .map(
          ([wireName, n]) =>
            `${wireName} ${n.toFixed(2)} in ${(r.rpcRequestsPerOrderByWireName?.[wireName] ?? n).toFixed(2)} requests ` +
            `(${(n / (r.rpcRequestsPerOrderByWireName?.[wireName] || n)).toFixed(1)} calls per request; ${r.calleeMsByWireName[wireName].toFixed(2)} ms in the callee)`,
        );
      const answeredBy = Object.entries(r.rpcPerOrderByProcess).map(([name, n]) => `${name} ${n.toFixed(2)}`);
      lines.push(
        `internal RPC calls per confirmed order (${r.label}): ${r.rpcPerOrder.toFixed(2)}, answered by ${answeredBy.join(', ')}:\n  ${calls.join('\n  ')}`,
      );
    }
    const cpuLine = result.rows.map((r) => `${r.label}, ${r.events} events ${cpuTotal(r).toFixed(1)} ms`).join('; ');
    lines.push(
      `CPU per confirmed order, every process together: ${cpuLine}` +
        (extracted && inProcess ? `; in-process / extracted: ${fmt.pct(cpuTotal(inProcess) / cpuTotal(extracted))} (when the box is CPU-bound, the throughput ratio follows this one)` : ''),
    );
    if (result.where) for (const line of result.where) lines.push(line);
    for (const w of result.warnings ?? []) lines.push(`WARNING ${w}`);
    return lines;
  },
  async run({ config, workDir, progress, earlier = [] }) {
    const concurrency = Number(process.env.BENCH_CHECKOUT_CONCURRENCY ?? 32);
    const products = Number(process.env.BENCH_CHECKOUT_PRODUCTS ?? 50);
    const redisUrl = process.env.BENCH_REDIS_URL || DEFAULT_REDIS_URL;
    const keys = selectedPlacements();
    const runs = Object.fromEntries(keys.map((k) => [k, []]));
    // One database for every run: seeding (registrations hash passwords) is the slowest
    // part of a run on this box. Stock is a million units per product, far more than a run sells.
    const databaseUrl = await freshDatabase(config.postgresUrl, DATABASE);
    const keys_ = generateKeyPairSync('ed25519');
    const shared = {
      JWT_PRIVATE_KEY: keys_.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      JWT_PUBLIC_KEY: keys_.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      // The customers' tokens must outlive the whole scenario.
      JWT_TTL_SECONDS: '7200',
      ...(process.env.BENCH_DB_POOL_SIZE ? { DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE } : {}),
      ...extraShopEnv(),
    };
    const seeded = {};
    try {
      for (let round = 1; round <= config.rounds; round++) {
        // Alternating order, so drift during the run does not always favour the same placement.
        for (const key of round % 2 ? keys : [...keys].reverse()) {
          runs[key].push(
            await runPlacement({ key, round, config, workDir, progress, concurrency, products, redisUrl, databaseUrl, shared, seeded }),
          );
        }
      }
    } finally {
      if (process.env.BENCH_KEEP_DATABASES !== '1') await dropDatabase(config.postgresUrl, DATABASE);
    }

    const rows = keys.map((key) => {
      const list = runs[key];
      const med = (pick) => median(list.map(pick).filter(Number.isFinite));
      const confirmed = list.reduce((n, r) => n + r.confirmed, 0);
      const perOrder = (pick) => {
        const total = {};
        for (const r of list) for (const [k, v] of Object.entries(pick(r))) total[k] = (total[k] ?? 0) + v;
        return Object.fromEntries(Object.entries(total).map(([k, v]) => [k, confirmed ? v / confirmed : 0]));
      };
      const calls = perOrder((r) => r.rpc.byWireName);
      const calleeMs = perOrder((r) => r.rpc.calleeMs);
      const requests = perOrder((r) => r.rpc.requests ?? {});
      return {
        target: key,
        placement: key,
        label: PLACEMENTS[key].label,
        events: PLACEMENTS[key].events,
        concurrency,
        orders: list.reduce((n, r) => n + r.orders, 0),
        confirmedPerSecond: med((r) => r.confirmedPerSecond),
        postP50Ms: med((r) => r.postP50Ms),
        p50Ms: med((r) => r.p50Ms),
        p99Ms: med((r) => r.p99Ms),
        serverCpuPct: med((r) => r.serverCpuPct),
        otherWorkPct: med((r) => r.otherWorkPct),
        cpuSecondsPer1000: Object.fromEntries(
          [...new Set(list.flatMap((r) => Object.keys(r.cpuSecondsPer1000)))].map((k) => [k, med((r) => r.cpuSecondsPer1000[k])]),
        ),
        rpcPerOrder: Object.values(calls).reduce((a, b) => a + b, 0),
        statementsPerOrder: med((r) => r.statementsPerOrder),
        commitsPerOrder: med((r) => r.commitsPerOrder),
        statementsPerOrderByProcess: Object.fromEntries(
          [...new Set(list.flatMap((r) => Object.keys(r.statements)))].map((name) => [
            name,
            med((r) => (r.statements[name] ? r.statements[name].statements / r.confirmed : NaN)),
          ]),
        ),
        rpcPerOrderByWireName: calls,
        // HTTP requests per order by wire name: fewer than the calls when calls travel in batches.
        rpcRequestsPerOrderByWireName: requests,
        rpcPerOrderByProcess: perOrder((r) => r.rpc.byProcess),
        // Mean time the callee spent on one call of each kind (its access log's durationMs).
        calleeMsByWireName: Object.fromEntries(Object.keys(calls).map((w) => [w, calleeMs[w] / calls[w]])),
        notConfirmed: list.reduce((n, r) => n + r.notConfirmed, 0),
        rounds: list,
      };
    });

    const row = (key) => rows.find((r) => r.placement === key);
    const inProcess = row('in-process');
    const redis = row('in-process-redis');
    const extracted = row('extracted');
    const warnings = [];
    for (const r of rows) {
      if (r.notConfirmed) warnings.push(`${r.label} (${r.events} events): ${r.notConfirmed} orders did not confirm: ${[...new Set(r.rounds.flatMap((x) => x.errorSamples))].join(', ')}`);
      for (const x of r.rounds) {
        for (const [name, problems] of Object.entries(x.logProblems)) {
          if (problems.count) warnings.push(`${r.placement}: ${name} logged ${problems.count} warn/error lines, e.g. ${problems.samples.join(' | ')}`);
        }
        if (x.unclean.length) warnings.push(`${r.placement}: did not stop cleanly: ${x.unclean.join(', ')}`);
      }
    }

    const ratio = extracted && inProcess ? extracted.confirmedPerSecond / inProcess.confirmedPerSecond : undefined;
    const ratioSameEvents = extracted && redis ? extracted.confirmedPerSecond / redis.confirmedPerSecond : undefined;
    const inProcessPass = inProcess ? inProcess.notConfirmed === 0 && inProcess.confirmedPerSecond >= TARGET_ORDERS_PER_SECOND && inProcess.p99Ms < TARGET_P99_MS : undefined;
    const placementPass = ratio !== undefined ? ratio >= TARGET_EXTRACTED_SHARE && extracted.notConfirmed === 0 : undefined;

    // Where the difference goes: the extra CPU per order of the extracted placement over
    // the same events in one process, by process; and what contract-call measured per
    // call (serialization, the whole remote call) times the calls an order makes.
    const where = [];
    const base = redis ?? inProcess;
    if (extracted && base) {
      const delta = (key) => (extracted.cpuSecondsPer1000[key] ?? 0) - (base.cpuSecondsPer1000[key] ?? 0);
      const services = delta('payments') + delta('inventory');
      where.push(
        `extra CPU per 1,000 confirmed orders, extracted − ${base.label} with ${base.events} events: ` +
          `${(cpuTotal(extracted) - cpuTotal(base)).toFixed(2)} s = monolith ${delta('monolith').toFixed(2)}, services ${services.toFixed(2)}, ` +
          `postgres ${delta('postgres').toFixed(2)}, redis ${delta('redis').toFixed(2)}, load generator ${delta('loadGenerator').toFixed(2)}`,
      );
      const cc = earlier.find((s) => s.name === 'contract-call' && s.figures)?.figures;
      if (cc) {
        const perOrder = extracted.rpcPerOrder;
        const serializationS = (cc.serializationCpuUs * perOrder) / 1000;
        const remoteS = ((cc.remoteClientCpuUs + cc.remoteServiceCpuUs - cc.directClientCpuUs) * perOrder) / 1000;
        where.push(
          `from contract-call (this run): serialization costs ${cc.serializationCpuUs.toFixed(1)} µs of CPU per call, so ` +
            `${perOrder.toFixed(2)} calls per order ≈ ${serializationS.toFixed(2)} s per 1,000 orders; a whole remote call costs ` +
            `${(cc.remoteClientCpuUs + cc.remoteServiceCpuUs).toFixed(0)} µs of CPU (caller + service) against ${cc.directClientCpuUs.toFixed(1)} µs ` +
            `in process, so ≈ ${remoteS.toFixed(2)} s per 1,000 orders for HTTP, credentials, policies, routing and access logs ` +
            `(GetProduct's payloads; the saga's are of similar size)`,
        );
      } else {
        where.push('(run contract-call in the same bench for the per-call serialization and HTTP cost: BENCH_SCENARIOS=contract-call,checkout)');
      }
    }

    return {
      rows,
      ratio,
      ratioSameEvents,
      target: extracted && inProcess ? TARGET_EXTRACTED_SHARE : undefined,
      inProcessPass,
      placementPass,
      // Undefined when neither target could be judged (BENCH_CHECKOUT_PLACEMENTS left out their placements).
      pass: [inProcessPass, placementPass].some((p) => p !== undefined) ? [inProcessPass, placementPass].filter((p) => p !== undefined).every(Boolean) : undefined,
      headline: [
        inProcess ? `in process ${fmt.int(inProcess.confirmedPerSecond)}/s, p99 ${inProcess.p99Ms.toFixed(0)} ms (>= ${TARGET_ORDERS_PER_SECOND}/s, < ${TARGET_P99_MS} ms)` : '',
        ratio !== undefined ? `extracted ${fmt.pct(ratio)} of it (>= ${fmt.pct(TARGET_EXTRACTED_SHARE)})` : '',
      ]
        .filter(Boolean)
        .join(', '),
      where,
      warnings,
      targets: { ordersPerSecond: TARGET_ORDERS_PER_SECOND, p99Ms: TARGET_P99_MS, extractedShare: TARGET_EXTRACTED_SHARE },
    };
  },
};
