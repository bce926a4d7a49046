/**
 * The calling side of the contract-call scenario, one child process per placement and
 * round: it builds the shop from dist/ exactly as `node dist/main.js` would (loadConfig
 * and loadPlacement over its environment, createApp), without listening, and times
 * sequential `catalog.GetProduct` calls, each awaited before the next.
 *
 *   node --import ./bench/support/stub-product-lookup.mjs bench/contract-call-client.mjs <spec.json> <out.json>
 *
 * spec: { action: 'seed', products } creates `products` products through catalog's own
 * repository and writes their ids; or { action: 'measure', variants: [{ name, calls }],
 * productIds, warmupFraction, blocks, servicePids: { <variant>: pid }, bareUrl } times each variant:
 *  - `plain/<payload>`: the query handler's method called directly
 *    (`app.get(GetProductHandler).execute(new GetProduct(id))`), no bus at all;
 *  - `bus/<payload>`: `ContractBus.query(new GetProduct(id))`, through whatever transport
 *    this process's configuration gives it (CONTRACT_TRANSPORT_MODE, EXTRACTED_MODULES);
 *  - `bare/memory`: the same HTTP request on an undici keep-alive pool to bench/bare-rpc-server.mjs
 *    (plain node:http): the floor of a loopback round trip on this machine;
 * where <payload> is `memory` (the id the preload answers from memory: no I/O in the
 * handler, the transport alone) or `db` (cycling over the seeded products: one indexed
 * read of PostgreSQL by primary key, a prepared statement). Variants run in interleaved
 * blocks, alternating their order, so drift on a noisy machine is shared.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { cpuSecondsOf, machineBusySeconds } from './support/process-cpu.mjs';
import { percentileOfSorted } from './support/stats.mjs';
import { STUB_PRODUCT_ID } from './support/stub-product-lookup.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (file) => import(pathToFileURL(path.join(REPO_ROOT, 'dist', file)).href);

const [specFile, outFile] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));

const [{ createApp }, { MONOLITH_MODULES }, { loadConfig }, { loadPlacement }, { createLogger }, { ContractBus }, { GetProduct }] =
  await Promise.all([
    dist('create-app.js'),
    dist('app.module.js'),
    dist('platform/config/app-config.js'),
    dist('platform/config/placement.js'),
    dist('platform/logging/logger.js'),
    dist('platform/dispatch/contract-bus.js'),
    dist('modules/catalog/contract.js'),
  ]);

const config = loadConfig(process.env);
const placement = loadPlacement(process.env, MONOLITH_MODULES, 'monolith', config);
const logger = createLogger(config.logLevel, { process: 'bench-client' });
const app = await createApp(config, logger, {}, placement);
await app.init();

async function seed() {
  const { ProductsRepository } = await dist('modules/catalog/db/products.repository.js');
  const repository = app.get(ProductsRepository, { strict: false });
  const ids = [];
  for (let i = 0; i < spec.products; i++) {
    const product = await repository.insert({
      name: `Bench kettle ${i}`,
      description: 'A kettle for the contract-call bench.',
      images: ['https://example.com/kettle.jpg'],
      category: 'kitchen',
      tags: ['bench', 'kettle'],
      price: { amount: 1000 + i, currency: 'EUR' },
    });
    ids.push(product.id);
  }
  return { productIds: ids };
}

function callOf(variant) {
  const [kind, payload] = variant.split('/');
  let send;
  if (kind === 'plain') {
    // Resolved here, so a placement without catalog fails loudly instead of measuring nothing.
    const handler = app.get(GET_PRODUCT_HANDLER, { strict: false });
    send = (id) => handler.execute(new GetProduct(id));
  } else if (kind === 'bus') {
    const bus = app.get(ContractBus, { strict: false });
    send = (id) => bus.query(new GetProduct(id));
  } else if (kind === 'bare') {
    // The floor (bench/bare-rpc-server.mjs): the same request as RemoteTransport sends, on
    // an undici keep-alive pool, to plain node:http; none of the shop's machinery.
    const pool = new Pool(spec.bareUrl, { connections: 16, keepAliveTimeout: 30_000, pipelining: 1 });
    const headers = {
      'content-type': 'application/json',
      // About the size of a service credential, so the request is the same size.
      authorization: `Bearer ${'x'.repeat(200)}`,
      'x-deadline-ms': '2000',
    };
    send = async (id) => {
      const answer = await pool.request({ path: '/internal/rpc/catalog.GetProduct', method: 'POST', headers, body: JSON.stringify(new GetProduct(id)) });
      return JSON.parse(await answer.body.text()).result;
    };
  } else {
    throw new Error(`unknown variant ${variant}`);
  }
  const ids = payload === 'memory' ? [STUB_PRODUCT_ID] : spec.productIds;
  if (!ids?.length) throw new Error(`${variant}: no product ids`);
  return { send, ids };
}

let GET_PRODUCT_HANDLER;

async function measure() {
  if (spec.variants.some((v) => v.name.startsWith('plain/'))) {
    ({ GetProductHandler: GET_PRODUCT_HANDLER } = await dist('modules/catalog/get-product/get-product.handler.js'));
  }
  const variants = spec.variants.map(({ name, calls }) => {
    const { send, ids } = callOf(name);
    const servicePid = spec.servicePids?.[name];
    return { name, send, ids, calls, servicePid, samples: new Float64Array(calls), filled: 0, cpuUs: 0, serviceCpuS: 0, next: 0 };
  });

  // Every variant answers what it should before anything is timed.
  for (const v of variants) {
    for (const id of v.ids.slice(0, 3)) {
      const answer = await v.send(id);
      if (!answer || answer.id !== id) throw new Error(`${v.name}: GetProduct(${id}) answered ${JSON.stringify(answer)?.slice(0, 200)}`);
    }
  }

  const run = async (v, n, record) => {
    const { send, ids } = v;
    const cpuBefore = record ? process.cpuUsage() : undefined;
    const serviceBefore = record && v.servicePid ? cpuSecondsOf(v.servicePid) : undefined;
    for (let i = 0; i < n; i++) {
      const id = ids[v.next++ % ids.length];
      const started = performance.now();
      await send(id);
      const took = performance.now() - started;
      if (record) v.samples[v.filled++] = took;
    }
    if (record) {
      const cpu = process.cpuUsage(cpuBefore);
      v.cpuUs += cpu.user + cpu.system;
      if (serviceBefore !== undefined) v.serviceCpuS += cpuSecondsOf(v.servicePid) - serviceBefore;
    }
  };

  // Warm-up: JIT, pools, connections, caches; interleaved like the measurement.
  for (let block = 0; block < 4; block++) {
    for (const v of block % 2 ? [...variants].reverse() : variants) await run(v, Math.ceil((v.calls * spec.warmupFraction) / 4), false);
  }
  const machineBefore = machineBusySeconds();
  const selfBefore = process.cpuUsage();
  const servicePids = [...new Set(Object.values(spec.servicePids ?? {}))];
  const serviceCpu = () => servicePids.reduce((sum, pid) => sum + (cpuSecondsOf(pid) ?? 0), 0);
  const serviceAtStart = serviceCpu();
  const wallStarted = performance.now();
  for (let block = 0; block < spec.blocks; block++) {
    for (const v of block % 2 ? [...variants].reverse() : variants) {
      const n = Math.min(v.calls - v.filled, Math.ceil(v.calls / spec.blocks));
      await run(v, n, true);
    }
  }

  const wallSeconds = (performance.now() - wallStarted) / 1000;
  const self = process.cpuUsage(selfBefore);
  const service = serviceCpu() - serviceAtStart;
  // What the rest of the machine did meanwhile, as % of one core: the noise in these figures.
  const otherWorkPct = ((machineBusySeconds() - machineBefore - (self.user + self.system) / 1e6 - service) / wallSeconds) * 100;
  const results = {};
  for (const v of variants) {
    const sorted = v.samples.subarray(0, v.filled).sort();
    let sum = 0;
    for (const s of sorted) sum += s;
    results[v.name] = {
      calls: sorted.length,
      p50Us: percentileOfSorted(sorted, 50) * 1000,
      p90Us: percentileOfSorted(sorted, 90) * 1000,
      p99Us: percentileOfSorted(sorted, 99) * 1000,
      maxUs: sorted[sorted.length - 1] * 1000,
      meanUs: (sum / sorted.length) * 1000,
      clientCpuUsPerCall: v.cpuUs / sorted.length,
      serviceCpuUsPerCall: v.servicePid ? (v.serviceCpuS * 1e6) / sorted.length : undefined,
    };
  }
  return {
    transportMode: config.contractTransportMode,
    remote: Object.fromEntries(placement.remote),
    hosted: placement.hosted,
    otherWorkPct: Math.max(0, otherWorkPct),
    results,
  };
}

let output;
try {
  output = spec.action === 'seed' ? await seed() : await measure();
} finally {
  await app.close();
}
fs.writeFileSync(outFile, JSON.stringify(output));
logger.flush?.();
process.exit(0);
