/**
 * A placement of the shop for the bench: the monolith (`node dist/main.js`) and one
 * service per extracted module (`node dist/extracted/<module>/main.js`), each a child
 * process on loopback, all given the same placement settings (EXTRACTED_MODULES,
 * SERVICE_URL_<MODULE>, MONOLITH_URL, SERVICE_TOKEN_SECRET, JWT keys, REDIS_URL and a
 * queue prefix of their own), as /tmp/spec/extraction-interface.md describes.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { freePort } from './ports.mjs';
import { REPO_ROOT, startShopProcess } from './monolith.mjs';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Each module's public route prefixes (until the gateway of issue 11 routes them). */
export const ROUTE_PREFIXES = {
  identity: ['/api/v1/identity', '/.well-known/jwks.json'],
  catalog: ['/api/v1/catalog'],
  inventory: ['/api/v1/inventory'],
  payments: ['/api/v1/payments'],
  shipping: ['/api/v1/shipping'],
  ordering: ['/api/v1/orders'],
  notifications: ['/api/v1/notifications'],
  reporting: ['/api/v1/reporting'],
};

/** A queue prefix no other shop on the shared Redis uses; forgetQueues removes its keys. */
export function benchQueuePrefix(scenario) {
  return `bench-${scenario}-${randomBytes(4).toString('hex')}`;
}

/**
 * The settings every process of a placement with `extracted` modules shares. `ports`
 * maps 'monolith' and each extracted module to its port.
 */
export function placementEnv({ extracted, ports, redisUrl, queuePrefix }) {
  const env = {};
  if (redisUrl) Object.assign(env, { REDIS_URL: redisUrl, EVENTS_QUEUE_PREFIX: queuePrefix });
  if (extracted.length === 0) return env;
  const keys = generateKeyPairSync('ed25519');
  return Object.assign(env, {
    EXTRACTED_MODULES: extracted.join(','),
    ...Object.fromEntries(extracted.map((module) => [`SERVICE_URL_${module.toUpperCase()}`, `http://127.0.0.1:${ports[module]}`])),
    MONOLITH_URL: `http://127.0.0.1:${ports.monolith}`,
    SERVICE_TOKEN_SECRET: randomBytes(32).toString('hex'),
    JWT_PRIVATE_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    JWT_PUBLIC_KEY: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
}

/**
 * Starts the monolith and a service per module of `extracted`, all at once, and waits
 * until every one is ready; on a failure, stops whatever started. `redisUrl` is
 * required with extraction (events cross processes through BullMQ) and optional
 * without (then the monolith delivers its events through BullMQ instead of in process).
 * `logSuffix` names the log files (`monolith<suffix>.log`, `payments<suffix>.log`).
 */
export async function startPlacement({
  databaseUrl,
  rolePrefix,
  workDir,
  extracted = [],
  redisUrl,
  queuePrefix,
  env = {},
  monolithNodeArgs = [],
  serviceNodeArgs = [],
  logSuffix = '',
}) {
  if (extracted.length && !redisUrl) throw new Error('a placement with extracted modules needs a Redis URL');
  const names = ['monolith', ...extracted];
  const ports = {};
  for (const name of names) ports[name] = await freePort();
  const shared = { ...placementEnv({ extracted, ports, redisUrl, queuePrefix }), ...env };
  const processes = [];
  try {
    for (const name of names) {
      processes.push({
        name,
        ...(await startShopProcess({
          name,
          databaseUrl,
          rolePrefix,
          workDir,
          port: ports[name],
          nodeArgs: name === 'monolith' ? monolithNodeArgs : serviceNodeArgs,
          env: shared,
          logName: `${name}${logSuffix}`,
          wait: false,
        })),
      });
    }
    const readiness = processes.map((p) => p.ready());
    await Promise.all(readiness).finally(() => readiness.forEach((r) => r.catch(() => undefined)));
  } catch (error) {
    await Promise.all(processes.map((p) => p.child.stop()));
    throw error;
  }
  const hostOf = (module) => (extracted.includes(module) ? module : 'monolith');
  const byName = new Map(processes.map((p) => [p.name, p]));
  return {
    processes,
    monolith: byName.get('monolith'),
    /** The base URL of the process that answers `route` (a path such as /api/v1/inventory/SKU-1). */
    urlFor(route) {
      const module = Object.keys(ROUTE_PREFIXES).find((m) => ROUTE_PREFIXES[m].some((prefix) => route.startsWith(prefix)));
      return `${byName.get(module ? hostOf(module) : 'monolith').baseUrl}${route}`;
    },
    async stop() {
      return Promise.all(processes.map(async (p) => ({ name: p.name, exit: await p.child.stop() })));
    },
  };
}

/** Removes every key of a queue prefix from the shared Redis (BullMQ queues, throttle counters). */
export async function forgetQueues(redisUrl, prefix) {
  if (!prefix) return;
  // ioredis is the shop's own dependency (BullMQ's client); the bench borrows it.
  const { Redis } = createRequire(path.join(REPO_ROOT, 'package.json'))('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // A shared server: keys left behind cost memory, not correctness.
  } finally {
    redis.disconnect();
  }
}

/**
 * The access-log lines ('request completed', one per request) of a process's log whose
 * time falls in [fromMs, toMs], as { url, durationMs, statusCode }: what counts the
 * internal RPC calls (`/internal/rpc/<wire name>`) a process answered in a window.
 * pino writes its lines in buffered chunks, so the time field, not the file offset,
 * places a line in the window.
 */
export function accessLogLines(logFile, fromMs, toMs) {
  let text;
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  const lines = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"request completed"')) continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const at = Date.parse(entry.time);
    if (at >= fromMs && at <= toMs) lines.push({ url: entry.url, durationMs: entry.durationMs, statusCode: entry.statusCode, calls: entry.calls });
  }
  return lines;
}
