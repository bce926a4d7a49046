/**
 * The latency of one cross-module query, `catalog.GetProduct`, called four ways in one
 * run:
 *  (a) plain: the query handler's method, called directly (no bus, no transport);
 *  (b) the ContractBus in process, direct mode (the monolith's default);
 *  (c) the ContractBus in process, serializing mode (CONTRACT_TRANSPORT_MODE=serializing:
 *      message, result and errors through the wire encoding, no network);
 *  (d) the ContractBus with catalog extracted: RemoteTransport (undici keep-alive pool,
 *      cockatiel policies, a service credential) → HTTP on loopback → the real catalog
 *      service (`node dist/extracted/catalog/main.js`, a child process) → its RPC
 *      endpoint → the same handler.
 * Each with two payloads: `memory`, an id the handler answers without I/O (a preload,
 * bench/support/stub-product-lookup.mjs, in both processes): the transport alone; and
 * `db`, the seeded products: one prepared primary-key read of PostgreSQL per call, a
 * realistic cheap query.
 *
 * The calls are made by bench/contract-call-client.mjs, a child process that builds the
 * shop from dist/ with the placement's configuration, one per transport and round; in
 * each, the variants run in interleaved blocks. Calls are sequential (one in flight):
 * this is latency, not throughput.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startChild, tailOf, waitForHttpOk } from '../support/child-process.mjs';
import { dropDatabase, freshDatabase, rolePrefixOf } from '../support/database.mjs';
import { REPO_ROOT, logProblems, shopEnv, startShopProcess } from '../support/monolith.mjs';
import { accessLogLines, benchQueuePrefix, DEFAULT_REDIS_URL, forgetQueues, placementEnv } from '../support/placement.mjs';
import { freePort } from '../support/ports.mjs';
import { median } from '../support/stats.mjs';
import { fmt } from '../support/table.mjs';

const DATABASE = 'shop_bench_contract';
const TARGET_IN_PROCESS_OVERHEAD_US = 20;
const TARGET_REMOTE_P50_US = 1000;
const SEEDED_PRODUCTS = 200;

const PATHS = {
  plain: '(a) plain method call',
  direct: '(b) ContractBus, in process',
  serializing: '(c) ContractBus, serializing',
  remote: '(d) ContractBus → HTTP → service',
  bare: '(e) floor: undici → bare node:http',
};
const PAYLOADS = { memory: 'transport alone', db: 'with its DB read' };

const us = (v) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : 'n/a');
const signedUs = (v) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${us(v)}` : '');

function countOf(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 100) throw new Error(`${name} must be an integer >= 100, got ${JSON.stringify(raw)}`);
  return value;
}

/** Runs the client once; resolves to what it wrote. */
async function runClient({ label, spec, env, workDir }) {
  const specFile = path.join(workDir, `${label}.spec.json`);
  const outFile = path.join(workDir, `${label}.out.json`);
  fs.writeFileSync(specFile, JSON.stringify(spec));
  const child = startChild({
    name: `contract-call client (${label})`,
    args: [path.join(REPO_ROOT, 'bench/contract-call-client.mjs'), specFile, outFile],
    env,
    cwd: REPO_ROOT,
    logFile: path.join(workDir, `${label}.log`),
  });
  const exit = await child.exited;
  if (exit.code !== 0) {
    throw new Error(`${child.name} exited with ${exit.code ?? exit.signal}. Log tail:\n${tailOf(child.logFile)}`);
  }
  return JSON.parse(fs.readFileSync(outFile, 'utf8'));
}

export default {
  name: 'contract-call',
  title: 'catalog.GetProduct: plain call vs ContractBus in process, serializing, and over HTTP to an extracted service',
  description:
    'latency per call (sequential, one in flight) of one cross-module query: the handler called directly, the ContractBus ' +
    'in process (direct and serializing modes), and the ContractBus to catalog running as its own process on loopback; ' +
    '"transport alone" answers from memory, "with its DB read" reads one product from PostgreSQL',
  columns: [
    { header: 'query', value: (r) => PAYLOADS[r.payload], align: 'left' },
    { header: 'path', value: (r) => PATHS[r.path], align: 'left' },
    { header: 'calls', value: (r) => r.calls, format: fmt.int },
    { header: 'p50 µs', value: (r) => r.p50Us, format: us },
    { header: 'p99 µs', value: (r) => r.p99Us, format: us },
    { header: 'mean µs', value: (r) => r.meanUs, format: us },
    { header: 'p50 over (a) µs', value: (r) => r.overPlainP50Us, format: signedUs },
    { header: 'caller CPU µs/call', value: (r) => r.clientCpuUsPerCall, format: us },
    { header: 'service CPU µs/call', value: (r) => r.serviceCpuUsPerCall, format: (v) => (Number.isFinite(v) ? us(v) : '') },
  ],
  summary(result) {
    const f = result.figures;
    return [
      `in-process contract call (b) adds ${us(f.inProcessOverheadP50Us)} µs at p50 (${us(f.inProcessOverheadMeanUs)} µs mean) ` +
        `over the plain call (a), transport alone; target < ${TARGET_IN_PROCESS_OVERHEAD_US} µs: ${f.inProcessPass ? 'PASS' : 'FAIL'}`,
      `remote call (d) p50 ${(f.remoteP50Us / 1000).toFixed(3)} ms, transport alone (p99 ${(f.remoteP99Us / 1000).toFixed(3)} ms); ` +
        `target < ${TARGET_REMOTE_P50_US / 1000} ms: ${f.remotePass ? 'PASS' : 'FAIL'}` +
        `   (with its DB read: p50 ${(f.remoteDbP50Us / 1000).toFixed(3)} ms, ${f.remoteDbP50Us < TARGET_REMOTE_P50_US ? 'also under' : 'over'} 1 ms)`,
      `serialization (c) − (b), transport alone: ${signedUs(f.serializationP50Us)} µs at p50, ${signedUs(f.serializationCpuUs)} µs of caller CPU ` +
        'per call (encode and check the message, decode it, encode and check the result, decode it: what a remote call spends ' +
        'on JSON, split there between the two processes)',
      `remote (d) − in process (b), transport alone: ${signedUs(f.remoteOverInProcessP50Us)} µs at p50; CPU per call ` +
        `${us(f.remoteClientCpuUs)} µs in the caller + ${us(f.remoteServiceCpuUs)} µs in the service ` +
        `(vs ${us(f.directClientCpuUs)} µs in process): ${f.rpcLinesSeen} RPC access-log lines in the service for ${f.remoteCalls} remote calls timed`,
      `of that, the loopback HTTP round trip itself (e) takes ${us(f.bareP50Us)} µs at p50 and ${us(f.bareClientCpuUs)} + ${us(f.bareServerCpuUs)} µs ` +
        `of CPU (caller + bare server); the shop's machinery on top (credential, cockatiel, Fastify, RPC endpoint, QueryBus, ` +
        `access log, wire codec): ${signedUs(f.remoteP50Us - f.bareP50Us)} µs at p50, ` +
        `${signedUs(f.remoteClientCpuUs - f.bareClientCpuUs)} µs caller CPU, ${signedUs(f.remoteServiceCpuUs - f.bareServerCpuUs)} µs service CPU`,
      "NOTE Service Weaver's paper (Ghemawat et al., HotOS '23) reports a median latency of 0.38 ms for its application " +
        'co-located in one process vs 5.47 ms for the same application split into gRPC microservices; those are whole requests ' +
        'of an app making several calls each, so compare the ratio of (d) to (b), not the figures.',
      `NOTE p50/p99 are medians over ${result.rounds} round(s); "p50 over (a)" compares with the plain call timed in the same process ` +
        'and round ((d) with the one in (b)\'s process); caller CPU is the calling process\'s user+system time per call, service CPU ' +
        "the catalog service's, from /proc (10 ms ticks). Other work on the machine while calls were timed (median): " +
        `${Number.isFinite(result.otherWorkPct) ? Math.round(result.otherWorkPct) : 'n/a'}% of one core (2 cores here)`,
    ];
  },
  async run({ config, workDir, progress }) {
    const calls = countOf('BENCH_CONTRACT_CALLS', 5_000);
    const fastCalls = countOf('BENCH_CONTRACT_FAST_CALLS', 100_000);
    const redisUrl = process.env.BENCH_REDIS_URL || DEFAULT_REDIS_URL;
    const queuePrefix = benchQueuePrefix('contract');
    const rolePrefix = rolePrefixOf(DATABASE);
    const databaseUrl = await freshDatabase(config.postgresUrl, DATABASE);
    const warmupFraction = config.warmupSeconds > 0 ? 0.2 : 0;
    const { machineBusyFraction } = await import('../support/process-cpu.mjs');
    const machineBusy = await machineBusyFraction(500);

    const clientEnv = (label, extraEnv) => {
      const dataDir = path.join(workDir, `${label}-data`);
      fs.mkdirSync(dataDir, { recursive: true });
      return shopEnv({ databaseUrl, rolePrefix, dataDir, extraEnv });
    };

    const ports = { monolith: await freePort(), catalog: await freePort() };
    const remoteEnv = placementEnv({ extracted: ['catalog'], ports, redisUrl, queuePrefix });
    const inProcessVariants = [
      { name: 'plain/memory', calls: fastCalls },
      { name: 'bus/memory', calls: fastCalls },
      { name: 'plain/db', calls },
      { name: 'bus/db', calls },
    ];
    const transports = {
      direct: { env: { CONTRACT_TRANSPORT_MODE: 'direct' }, variants: inProcessVariants },
      serializing: { env: { CONTRACT_TRANSPORT_MODE: 'serializing' }, variants: inProcessVariants },
      remote: {
        env: { ...remoteEnv, CONTRACT_TRANSPORT_MODE: 'direct' },
        variants: [
          { name: 'bus/memory', calls },
          { name: 'bus/db', calls },
          { name: 'bare/memory', calls },
        ],
      },
    };
    const rounds = [];
    const remoteWindows = [];
    const otherWork = [];
    let bare;
    let service;
    try {
      progress(`seeding ${SEEDED_PRODUCTS} products through catalog's repository`);
      const { productIds } = await runClient({
        label: 'seed',
        spec: { action: 'seed', products: SEEDED_PRODUCTS },
        env: clientEnv('seed', {}),
        workDir,
      });

      progress('starting the catalog service (node dist/extracted/catalog/main.js)');
      const barePort = await freePort();
      bare = startChild({
        name: 'bare RPC server',
        args: [path.join(REPO_ROOT, 'bench/bare-rpc-server.mjs'), String(barePort)],
        env: process.env,
        cwd: REPO_ROOT,
        logFile: path.join(workDir, 'bare-rpc-server.log'),
      });
      const bareUrl = `http://127.0.0.1:${barePort}`;
      await waitForHttpOk(`${bareUrl}/health/ready`, { child: bare, timeoutMs: 10_000 });
      const stub = pathToFileURL(path.join(REPO_ROOT, 'bench/support/stub-product-lookup.mjs')).href;
      service = await startShopProcess({
        name: 'catalog',
        databaseUrl,
        rolePrefix,
        workDir,
        port: ports.catalog,
        nodeArgs: ['--import', stub, ...config.serviceNodeArgs],
        env: remoteEnv,
      });

      for (let round = 0; round < config.rounds; round++) {
        const order = round % 2 === 0 ? ['direct', 'serializing', 'remote'] : ['remote', 'serializing', 'direct'];
        const measured = {};
        for (const transport of order) {
          const label = `${transport}-r${round + 1}`;
          progress(`round ${round + 1}/${config.rounds}: ${transport}`);
          const started = Date.now();
          const out = await runClient({
            label,
            spec: {
              action: 'measure',
              variants: transports[transport].variants,
              productIds,
              warmupFraction,
              blocks: 10,
              servicePids: transport === 'remote' ? { 'bus/memory': service.child.pid, 'bus/db': service.child.pid, 'bare/memory': bare.pid } : undefined,
              bareUrl,
            },
            env: clientEnv(label, transports[transport].env),
            workDir,
          });
          if (transport === 'remote') {
            remoteWindows.push([started, Date.now()]);
            if (!out.remote.catalog) throw new Error('the remote client did not see catalog as remote');
          } else if (out.transportMode !== transport) {
            throw new Error(`the ${transport} client ran in ${out.transportMode} mode`);
          }
          measured[transport] = out.results;
          otherWork.push(out.otherWorkPct);
        }
        rounds.push(measured);
        const d = measured.direct;
        progress(
          `round ${round + 1}: plain ${us(d['plain/memory'].p50Us)} µs, bus ${us(d['bus/memory'].p50Us)} µs, ` +
            `serializing ${us(measured.serializing['bus/memory'].p50Us)} µs, remote ${us(measured.remote['bus/memory'].p50Us)} µs (p50, transport alone)`,
        );
      }
    } finally {
      await service?.child.stop();
      await bare?.stop();
      await forgetQueues(redisUrl, queuePrefix);
      if (process.env.BENCH_KEEP_DATABASES !== '1') await dropDatabase(config.postgresUrl, DATABASE);
    }

    // One row per path and payload: medians over rounds of each round's figure.
    const med = (pick) => median(rounds.map(pick).filter(Number.isFinite));
    const rows = [];
    for (const payload of ['memory', 'db']) {
      const key = (kind) => `${kind}/${payload}`;
      const specs = [
        { path: 'plain', of: (r) => r.direct[key('plain')], plain: undefined },
        { path: 'direct', of: (r) => r.direct[key('bus')], plain: (r) => r.direct[key('plain')] },
        { path: 'serializing', of: (r) => r.serializing[key('bus')], plain: (r) => r.serializing[key('plain')] },
        { path: 'remote', of: (r) => r.remote[key('bus')], plain: (r) => r.direct[key('plain')] },
        ...(payload === 'memory' ? [{ path: 'bare', of: (r) => r.remote['bare/memory'], plain: (r) => r.direct[key('plain')] }] : []),
      ];
      for (const s of specs) {
        rows.push({
          target: `${s.path}/${payload}`,
          path: s.path,
          payload,
          calls: rounds.reduce((n, r) => n + s.of(r).calls, 0),
          p50Us: med((r) => s.of(r).p50Us),
          p90Us: med((r) => s.of(r).p90Us),
          p99Us: med((r) => s.of(r).p99Us),
          meanUs: med((r) => s.of(r).meanUs),
          maxUs: Math.max(...rounds.map((r) => s.of(r).maxUs)),
          overPlainP50Us: s.plain ? med((r) => s.of(r).p50Us - s.plain(r).p50Us) : undefined,
          overPlainMeanUs: s.plain ? med((r) => s.of(r).meanUs - s.plain(r).meanUs) : undefined,
          clientCpuUsPerCall: med((r) => s.of(r).clientCpuUsPerCall),
          serviceCpuUsPerCall: s.path === 'remote' || s.path === 'bare' ? med((r) => s.of(r).serviceCpuUsPerCall) : undefined,
          rounds: rounds.map((r) => s.of(r)),
        });
      }
    }
    const row = (p, payload) => rows.find((r) => r.path === p && r.payload === payload);
    const rpcLinesSeen = remoteWindows.reduce(
      (n, [from, to]) => n + accessLogLines(service.logFile, from, to).filter((l) => l.url === '/internal/rpc/catalog.GetProduct').length,
      0,
    );
    const remoteCalls = row('remote', 'memory').calls + row('remote', 'db').calls;
    const figures = {
      inProcessOverheadP50Us: row('direct', 'memory').overPlainP50Us,
      inProcessOverheadMeanUs: row('direct', 'memory').overPlainMeanUs,
      remoteP50Us: row('remote', 'memory').p50Us,
      remoteP99Us: row('remote', 'memory').p99Us,
      remoteDbP50Us: row('remote', 'db').p50Us,
      serializationP50Us: med((r) => r.serializing['bus/memory'].p50Us - r.serializing['plain/memory'].p50Us) - row('direct', 'memory').overPlainP50Us,
      serializationCpuUs: row('serializing', 'memory').clientCpuUsPerCall - row('direct', 'memory').clientCpuUsPerCall,
      remoteOverInProcessP50Us: row('remote', 'memory').p50Us - row('direct', 'memory').p50Us,
      remoteClientCpuUs: row('remote', 'memory').clientCpuUsPerCall,
      remoteServiceCpuUs: row('remote', 'memory').serviceCpuUsPerCall,
      directClientCpuUs: row('direct', 'memory').clientCpuUsPerCall,
      bareP50Us: row('bare', 'memory').p50Us,
      bareClientCpuUs: row('bare', 'memory').clientCpuUsPerCall,
      bareServerCpuUs: row('bare', 'memory').serviceCpuUsPerCall,
      rpcLinesSeen,
      remoteCalls,
    };
    figures.inProcessPass = figures.inProcessOverheadP50Us < TARGET_IN_PROCESS_OVERHEAD_US;
    figures.remotePass = figures.remoteP50Us < TARGET_REMOTE_P50_US;

    const warnings = [];
    // Warm-up and the answer checks add calls; fewer lines than timed calls means some did not go over HTTP.
    if (rpcLinesSeen < remoteCalls) warnings.push(`the catalog service logged ${rpcLinesSeen} RPC calls, fewer than the ${remoteCalls} remote calls timed`);
    const problems = logProblems(service.logFile);
    if (problems.count) warnings.push(`the catalog service logged ${problems.count} warn/error lines, e.g. ${problems.samples.join(' | ')}`);
    return {
      rows,
      rounds: config.rounds,
      machineBusy,
      otherWorkPct: median(otherWork),
      figures,
      headline:
        `in process ${signedUs(figures.inProcessOverheadP50Us)} µs over plain (< ${TARGET_IN_PROCESS_OVERHEAD_US}), ` +
        `remote p50 ${(figures.remoteP50Us / 1000).toFixed(3)} ms (< ${TARGET_REMOTE_P50_US / 1000})`,
      pass: figures.inProcessPass && figures.remotePass,
      warnings,
      targets: { inProcessOverheadUs: TARGET_IN_PROCESS_OVERHEAD_US, remoteP50Us: TARGET_REMOTE_P50_US },
    };
  },
};
